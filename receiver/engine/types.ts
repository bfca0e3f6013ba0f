// Apply-engine contracts: configuration, deployment metadata, live state and results shared with the HTTP layer.
import type { Log } from '../log.js';
import type { GatewayReport } from '../../core/gateway/report.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';
import type { GatewayCheck } from '../gateway/check.js';

export type Strategy = 'symlink' | 'in-place';

export interface EngineConfig {
  /** Data root, e.g. /data; engine state lives in `<dataDir>/skill-sync/`. */
  dataDir: string;
  /** Live skills path the gateway reads, e.g. /data/skills. */
  skillsDir: string;
  strategy: Strategy;
  /** Releases kept for rollback (default 10); the live and the previous one are always kept. */
  keepReleases?: number;
  /** A lock untouched for this long is stale even if its pid looks alive (default 10 min). */
  lockTtlMs?: number;
  reload?: { url?: string; file?: string; timeoutMs?: number };
  /** url undefined: the HTTP check is skipped; the tree-vs-manifest check always runs. */
  health?: { url?: string; timeoutMs: number; retries: number; intervalMs: number };
  alertUrl?: string;
  /** Asks the running gateway what it loaded after each switch (GATEWAY_CHECK); absent = off. */
  gateway?: GatewayCheck;
  log?: Log;
}

export interface DeploymentMeta {
  deploymentId: string;
  serial: number;
  digest: string;
  repository: string;
  ref: string;
  commit: string;
  trigger: string;
}

/** One kept release, as recorded in state.json (its manifest lives in the release folder). */
export interface ReleaseRecord extends DeploymentMeta {
  appliedAt: string;
}

export interface LiveState extends ReleaseRecord {
  manifest: BundleManifest;
}

export type ApplyStatus = 'success' | 'rolled_back' | 'failed';

export interface ApplyResult {
  status: ApplyStatus;
  /** The attempt's id: the new deployment, or the rollback request's own id. */
  deploymentId: string;
  durationMs: number;
  error?: string;
  /** What is live after the attempt. */
  live: LiveState | null;
  /** The gateway's view of the attempted set, when the gateway check is on. */
  gateway?: GatewayReport;
}

/** Highest serial the receiver has accepted for apply; never lowered (replay protection). */
export interface HighestSerial {
  serial: number;
  digest: string;
  /** Outcome of that attempt: a refused (rolled back) serial still counts as seen. */
  outcome: ApplyStatus;
}

/** Engine failures carry a stable code so the HTTP layer can map them. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
