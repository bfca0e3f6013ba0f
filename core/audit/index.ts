// Audit trail public API: the receiver records every attempt here; the CLI reads history from JSONL or Neo4j.
export type {
  AuditTrigger,
  AuditStatus,
  AuditSkill,
  AuditInput,
  AuditRecord,
  AuditStatusReport,
  AuditLog,
  HistoryQuery,
  Neo4jConfig,
} from './types.js';
export { AuditTrail, type AuditTrailOptions } from './trail.js';
export { neo4jHistory } from './neo4j-sink.js';
export { liveAt, filterHistory, type LiveVersion } from './history.js';
export { readAuditRecords, parseLines, auditDir, AUDIT_FILE } from './jsonl.js';
export { neo4jConfigFromEnv, AuditConfigError } from './env.js';
