// `skill-sync audit`: deployment history from the JSONL on the data volume, or from Neo4j when NEO4J_* is set.
import { EXIT, UsageError, parse, printJson } from '../args.js';
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

const HELP = `usage: skill-sync audit [--data-dir DIR] [--json] [--limit N] [--skill NAME] [--at ISO-TIME]

Shows deployment history, newest first: from <data-dir>/skill-sync/audit*.jsonl, or from Neo4j when
NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD are set (NEO4J_DATABASE optional).
  --data-dir DIR   receiver data volume (default: $DATA_DIR or /data)
  --json           machine-readable output
  --limit N        at most N attempts (default 20)
  --skill NAME     only attempts whose bundle carried NAME
  --at ISO-TIME    with --skill: which version of NAME was live at that time`;

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
  let values;
  let limit: number;
  try {
    ({ values } = parse(
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
    ));
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return EXIT.ok;
    }
    if (values.at !== undefined && !values.skill) throw new UsageError('--at needs --skill NAME');
    if (values.at !== undefined && Number.isNaN(Date.parse(values.at))) {
      throw new UsageError(`--at must be an ISO-8601 time, got '${values.at}'`);
    }
    limit = values.limit !== undefined ? positiveInt(values.limit, '--limit') : 20;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`skill-sync audit: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  const dataDir = values['data-dir'] ?? process.env.DATA_DIR ?? '/data';

  let records: AuditRecord[];
  let source: string;
  try {
    const neo4j = neo4jConfigFromEnv();
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
    const secrets = [process.env.NEO4J_PASSWORD, process.env.NEO4J_URI];
    process.stderr.write(
      `skill-sync audit: cannot read history: ${scrubText((err as Error).message, secrets)}\n`,
    );
    return EXIT.usage;
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
