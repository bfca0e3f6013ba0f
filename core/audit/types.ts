// Audit trail vocabulary: what one deployment attempt records, and what /health reports about the trail.
import type { GatewayReport } from '../gateway/report.js';

export type AuditTrigger = 'webhook' | 'polling' | 'manual' | 'rollback';

/** `success` means the attempt's skills became the live set; the other statuses leave the live set unchanged. */
export type AuditStatus = 'success' | 'failed' | 'rolled_back' | 'rejected';

export interface AuditSkill {
  name: string;
  version: string;
  fingerprint: string;
}

export interface AuditInput {
  /** One id per attempt: a rollback or a rejected request gets its own id, never the id of the release it names. */
  deploymentId: string;
  trigger: AuditTrigger;
  status: AuditStatus;
  durationMs: number;
  repository?: string;
  commit?: string;
  ref?: string;
  serial?: number;
  bundleSha256?: string;
  /** The skills of the bundle this attempt deployed (for a rollback: the release it went back to). */
  skills?: AuditSkill[];
  error?: string;
  /** Stable code for a rejected request ('bad-signature', 'replay', 'too-large', ...): never a body or a secret. */
  reason?: string;
  /** The deployment that was live before this one; defaults to the last successful one for a success. */
  previousDeploymentId?: string;
  /** What the running gateway reported loading after the switch (GATEWAY_CHECK report/enforce). */
  gateway?: GatewayReport;
}

export interface AuditRecord extends AuditInput {
  /** Strictly increasing across restarts and rotations. */
  seq: number;
  /** ISO-8601 UTC. */
  timestamp: string;
}

export interface AuditStatusReport {
  jsonl: 'ok' | 'error';
  neo4j: 'disabled' | 'connected' | 'lagging' | 'down';
  /** Records written to the JSONL outbox but not yet in Neo4j. */
  lag: number;
  /** Scrubbed of credentials. */
  lastError?: string;
}

export interface Neo4jConfig {
  uri: string;
  user: string;
  password: string;
  database?: string;
}

/** The subset of a pino logger the trail uses, so tests can pass a capturing object. */
export interface AuditLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface HistoryQuery {
  limit?: number;
  skill?: string;
}

export const silentLog: AuditLog = { info() {}, warn() {}, error() {} };
