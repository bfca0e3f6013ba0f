// Neo4j settings from the environment (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, optional NEO4J_DATABASE).
import type { Neo4jConfig } from './types.js';

export class AuditConfigError extends Error {
  readonly code = 'audit-config';
}

/** Undefined when NEO4J_URI is unset (JSONL only); a partial setting is an error naming the missing variable. */
export function neo4jConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Neo4jConfig | undefined {
  const uri = env.NEO4J_URI?.trim();
  if (!uri) return undefined;
  for (const name of ['NEO4J_USER', 'NEO4J_PASSWORD'] as const) {
    if (!env[name]) throw new AuditConfigError(`${name} is required when NEO4J_URI is set`);
  }
  if (!/^(neo4j|bolt)(\+s|\+ssc)?:\/\//.test(uri)) {
    throw new AuditConfigError('NEO4J_URI must start with neo4j://, neo4j+s://, bolt:// or bolt+s://');
  }
  const database = env.NEO4J_DATABASE?.trim();
  return { uri, user: env.NEO4J_USER!, password: env.NEO4J_PASSWORD!, ...(database ? { database } : {}) };
}
