// Public face of the apply engine, used by the receiver's HTTP layer and CLI.
export { Engine, type RollbackRequest } from './engine.js';
export { CRASH_STEPS, type CrashStep } from './crash.js';
export { EngineError } from './types.js';
export type {
  ApplyResult,
  ApplyStatus,
  DeploymentMeta,
  EngineConfig,
  HighestSerial,
  LiveState,
  ReleaseRecord,
  Strategy,
} from './types.js';
