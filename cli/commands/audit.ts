// `skill-sync audit`: deployment history from the JSONL on the data volume, or from Neo4j when NEO4J_* is set.
import { stat } from 'node:fs/promises';
import { EXIT, GLOBAL_HELP, UsageError, parse, printJson } from '../args.js';
import { printable } from '../../core/printable.js';
import {
  filterHistory,
  liveAt,
  neo4jConfigFromEnv,
  neo4jHistory,
  readAuditRecords,
  type AuditRecord,
} from '../../core/audit/index.js';
import { scrubText } from '../../core/secrets/redact.js';

export const HELP = `usage: skill-sync audit [--data-dir DIR] [--json] [--limit N] [--skill NAME] [--at ISO-TIME]

Shows deployment history, newest first: from <data-dir>/skill-sync/audit*.jsonl, or from Neo4j when
NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD are set (NEO4J_DATABASE optional).
  --data-dir DIR   receiver data volume (default: $DATA_DIR or /data)
  --json           machine-readable output
  --limit N        at most N attempts (default 20)
  --skill NAME     only attempts whose bundle carried NAME
  --at ISO-TIME    with --skill: which version of NAME was live at that time
${GLOBAL_HELP}

exit: 0 ok (also when nothing was recorded yet), 2 usage error, no data directory, or history unreadable`;

function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return Number(value);
}

function line(r: AuditRecord): string {
  // A version that is a content fingerprint (64 hex) is shortened like a git SHA.
  const short = (v: string) => (/^[0-9a-f]{64}$/.test(v) ? v.slice(0, 12) : v);
  const skills = r.skills?.map((s) => `${s.name}@${short(s.version)}`).join(',') ?? '';
  const detail = r.reason ?? r.error ?? '';
  return [
    r.timestamp,
    `#${r.seq}`,
    r.deploymentId,
    r.trigger,
    r.status,
    r.commit?.slice(0, 12) ?? '-',
    skills,
    detail,
  ]
    .filter((x) => x !== '')
    .map(printable)
    .join('  ');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      limit: { type: 'string' },
      skill: { type: 'string' },
      at: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (values.at !== undefined && !values.skill) throw new UsageError('--at needs --skill NAME');
  if (values.at !== undefined && Number.isNaN(Date.parse(values.at))) {
    throw new UsageError(`--at must be an ISO-8601 time, got '${values.at}'`);
  }
  const limit = values.limit !== undefined ? positiveInt(values.limit, '--limit') : 20;
  const dataDir = values['data-dir'] ?? process.env.DATA_DIR ?? '/data';
  const secrets = [process.env.NEO4J_PASSWORD, process.env.NEO4J_URI];
  let neo4j;
  try {
    neo4j = neo4jConfigFromEnv();
  } catch (err) {
    throw new UsageError(`cannot read history: ${scrubText((err as Error).message, secrets)}`);
  }
  // "No history" on a mistyped or unmounted volume would read as "nothing was ever deployed".
  if (!neo4j && !(await stat(dataDir).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(
      `no data directory at ${dataDir} (give --data-dir DIR or set DATA_DIR to the receiver's volume)`,
    );
  }

  let records: AuditRecord[];
  let source: string;
  try {
    if (neo4j) {
      // --at needs every attempt before T, not only the newest N.
      records = await neo4jHistory(
        neo4j,
        values.at ? {} : { limit, ...(values.skill ? { skill: values.skill } : {}) },
      );
      source = 'neo4j';
    } else {
      records = (await readAuditRecords(dataDir)).records;
      source = 'jsonl';
    }
  } catch (err) {
    throw new UsageError(`cannot read history: ${scrubText((err as Error).message, secrets)}`);
  }

  if (values.skill && values.at) {
    const live = liveAt(records, values.skill, values.at);
    if (values.json) printJson({ source, skill: values.skill, at: values.at, live: live ?? null });
    else if (live) {
      process.stdout.write(
        printable(
          `${values.skill}@${live.version} (${live.fingerprint}) live since ${live.since} via ${live.deploymentId}`,
        ) + '\n',
      );
    } else process.stdout.write(printable(`${values.skill} was not live at ${values.at}`) + '\n');
    return EXIT.ok;
  }

  const shown = filterHistory(records, { limit, ...(values.skill ? { skill: values.skill } : {}) });
  if (values.json) printJson({ source, records: shown });
  else if (shown.length === 0) process.stdout.write('no deployment attempts recorded\n');
  else process.stdout.write(shown.map(line).join('\n') + '\n');
  return EXIT.ok;
}
