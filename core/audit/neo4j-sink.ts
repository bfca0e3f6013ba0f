// The Neo4j sink: schema constraints, one idempotent MERGE write per audit record, and history read back.
import neo4j, { type Driver } from 'neo4j-driver';
import type { AuditRecord, AuditSkill, HistoryQuery, Neo4jConfig } from './types.js';

export const DEFAULT_DATABASE = 'neo4j';

const CONSTRAINTS = [
  'CREATE CONSTRAINT skill_deployment_id IF NOT EXISTS FOR (d:SkillDeployment) REQUIRE d.id IS UNIQUE',
  'CREATE CONSTRAINT skill_name IF NOT EXISTS FOR (s:Skill) REQUIRE s.name IS UNIQUE',
  // Two deploys of the same content share one SkillVersion node.
  'CREATE CONSTRAINT skill_version_key IF NOT EXISTS FOR (v:SkillVersion) REQUIRE (v.name, v.content_sha) IS UNIQUE',
];

/*
 * One attempt = one SkillDeployment node. MERGE on the id makes a retried write a no-op. If a caller ever reuses a
 * deployment id for a different attempt (different seq), that attempt gets `<id>#<seq>` so neither overwrites the
 * other; the choice depends only on the stored seq, so retries land on the same node.
 */
const WRITE_RECORD = `
OPTIONAL MATCH (existing:SkillDeployment {id: $id})
WITH CASE WHEN existing IS NULL OR existing.seq IS NULL OR existing.seq = $seq
          THEN $id ELSE $id + '#' + toString($seq) END AS nodeId
MERGE (d:SkillDeployment {id: nodeId})
SET d.seq = $seq, d.timestamp = datetime($timestamp), d.repository = $repository, d.commit_sha = $commit,
    d.ref = $ref, d.serial = $serial, d.bundle_sha256 = $bundleSha256, d.status = $status, d.trigger = $trigger,
    d.skills_count = $skillsCount, d.duration_ms = $durationMs, d.error = $error, d.reason = $reason
WITH d
FOREACH (s IN $skills |
  MERGE (sk:Skill {name: s.name})
  MERGE (v:SkillVersion {name: s.name, content_sha: s.fingerprint})
    ON CREATE SET v.version = s.version, v.deployed_at = datetime($timestamp)
  MERGE (v)-[:VERSION_OF]->(sk)
  MERGE (d)-[:DEPLOYED]->(v))
FOREACH (p IN $previous |
  MERGE (pd:SkillDeployment {id: p})
  MERGE (d)-[:PREVIOUS]->(pd))
`;

export function openDriver(cfg: Neo4jConfig): Driver {
  return neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.user, cfg.password), {
    disableLosslessIntegers: true,
    // The shipper has its own backoff; the driver's internal retries would only hide an outage for 30 s.
    maxTransactionRetryTime: 1_000,
    connectionTimeout: 5_000,
    connectionAcquisitionTimeout: 10_000,
    logging: { level: 'error', logger: () => {} },
  });
}

export async function ensureSchema(driver: Driver, database: string): Promise<void> {
  for (const q of CONSTRAINTS) await driver.executeQuery(q, {}, { database, routing: neo4j.routing.WRITE });
}

/** Only attempts that actually put skills live (or briefly did, before a rollback) get DEPLOYED edges. */
function deployedSkills(r: AuditRecord): AuditSkill[] {
  return r.status === 'success' || r.status === 'rolled_back' ? (r.skills ?? []) : [];
}

function optionalInt(n: number | undefined) {
  return n === undefined ? null : neo4j.int(Math.trunc(n));
}

export async function writeRecord(driver: Driver, database: string, r: AuditRecord): Promise<void> {
  const previous =
    r.previousDeploymentId && r.previousDeploymentId !== r.deploymentId ? [r.previousDeploymentId] : [];
  await driver.executeQuery(
    WRITE_RECORD,
    {
      id: r.deploymentId,
      seq: neo4j.int(r.seq),
      timestamp: r.timestamp,
      repository: r.repository ?? null,
      commit: r.commit ?? null,
      ref: r.ref ?? null,
      serial: optionalInt(r.serial),
      bundleSha256: r.bundleSha256 ?? null,
      status: r.status,
      trigger: r.trigger,
      skillsCount: neo4j.int(r.skills?.length ?? 0),
      durationMs: optionalInt(r.durationMs),
      error: r.error ?? null,
      reason: r.reason ?? null,
      skills: deployedSkills(r).map((s) => ({
        name: s.name,
        version: s.version,
        fingerprint: s.fingerprint,
      })),
      previous,
    },
    { database, routing: neo4j.routing.WRITE },
  );
}

const HISTORY = `
MATCH (d:SkillDeployment) WHERE d.seq IS NOT NULL
  AND ($skill IS NULL OR EXISTS { (d)-[:DEPLOYED]->(:SkillVersion {name: $skill}) })
OPTIONAL MATCH (d)-[:PREVIOUS]->(p:SkillDeployment)
WITH d, p ORDER BY d.seq DESC LIMIT $limit
RETURN d {.*, timestamp: toString(d.timestamp)} AS d, p.id AS previous,
  COLLECT { MATCH (d)-[:DEPLOYED]->(v:SkillVersion) RETURN v {.name, .version, .content_sha} ORDER BY v.name } AS skills
ORDER BY d.seq DESC
`;

type Props = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** Neo4j stores `datetime`; the trail speaks ISO-8601 UTC like the JSONL. */
function isoTimestamp(v: unknown): string {
  const s = str(v) ?? '';
  const t = Date.parse(s.replace(/\[.*\]$/, ''));
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

function toRecord(d: Props, previous: unknown, skills: Props[]): AuditRecord {
  const r: AuditRecord = {
    seq: num(d.seq) ?? 0,
    timestamp: isoTimestamp(d.timestamp),
    deploymentId: str(d.id) ?? '',
    trigger: str(d.trigger) as AuditRecord['trigger'],
    status: str(d.status) as AuditRecord['status'],
    durationMs: num(d.duration_ms) ?? 0,
  };
  const optional: Partial<AuditRecord> = {
    repository: str(d.repository),
    commit: str(d.commit_sha),
    ref: str(d.ref),
    serial: num(d.serial),
    bundleSha256: str(d.bundle_sha256),
    error: str(d.error),
    reason: str(d.reason),
    previousDeploymentId: str(previous),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(r, { [k]: v });
  if (skills.length > 0) {
    r.skills = skills.map((s) => ({
      name: str(s.name) ?? '',
      version: str(s.version) ?? '',
      fingerprint: str(s.content_sha) ?? '',
    }));
  }
  return r;
}

/** Deployment history from Neo4j, newest first, in the same shape as the JSONL records. */
export async function neo4jHistory(cfg: Neo4jConfig, q: HistoryQuery = {}): Promise<AuditRecord[]> {
  const driver = openDriver(cfg);
  try {
    const res = await driver.executeQuery(
      HISTORY,
      { skill: q.skill ?? null, limit: neo4j.int(q.limit ?? 1_000_000) },
      { database: cfg.database ?? DEFAULT_DATABASE, routing: neo4j.routing.READ },
    );
    return res.records.map((rec) =>
      toRecord(rec.get('d') as Props, rec.get('previous'), rec.get('skills') as Props[]),
    );
  } finally {
    await driver.close();
  }
}
