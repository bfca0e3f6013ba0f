// Test helper: decides whether a Neo4j suite runs, is skipped with a printed reason, or (under CI) fails.
import { neo4jUnavailableReason } from './server.js';

/**
 * True when the Neo4j tests must be skipped. Under CI a missing Neo4j is a failure, never a skip, so this
 * throws there; locally it prints why the suite is skipped.
 */
export function skipNeo4j(suite: string): boolean {
  const reason = neo4jUnavailableReason();
  if (!reason) return false;
  if (process.env.CI) throw new Error(`${suite}: Neo4j is required in CI but unavailable: ${reason}`);
  console.warn(`[skipped] ${suite}: Neo4j tests skipped: ${reason}`);
  return true;
}
