// Public face of the apply engine, used by the receiver's HTTP layer and CLI.
export { Engine, type RollbackRequest } from './engine.js';
export { FAILPOINTS as CRASH_STEPS, type Failpoint as CrashStep } from '../failpoint.js';
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
