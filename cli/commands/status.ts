// `skill-sync status`: a receiver's health and live deployment, for people and (with --json) scripts.
import { EXIT, GLOBAL_HELP, parse, printJson } from '../args.js';
import { call, remoteFrom } from '../remote.js';
import { printable } from '../../core/printable.js';

interface LiveState {
  deploymentId: string | null;
  serial: number | null;
  digest: string | null;
  commit?: string;
  appliedAt?: string;
  skills: { name: string; version: string; fingerprint: string }[];
}

export const HELP = `usage: skill-sync status --url RECEIVER_URL [--api-key-env VAR] [--json]

Shows a receiver's health and, with an API key, its live deployment and skills.

options:
  --url URL            receiver base URL (default $SKILL_SYNC_RECEIVER_URL)
  --api-key-env VAR    variable holding the API key (default MANUAL_SYNC_API_KEY; an unset VAR is an error)
  --json               print {health, state} as JSON
${GLOBAL_HELP}

exit: 0 healthy, 1 unhealthy or unreachable, 2 usage error`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    url: { type: 'string' },
    'api-key-env': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const remote = remoteFrom(values);
  const health = await call(remote, 'GET', '/health');
  const state = remote.apiKey ? await call(remote, 'GET', '/v1/state') : undefined;
  if (values.json) {
    printJson({ health: health.json, state: state?.status === 200 ? state.json : undefined });
    return health.status === 200 ? EXIT.ok : EXIT.findings;
  }
  const h = health.json as { status?: string; skills?: { count: number; lastUpdated: string | null } };
  // Everything below comes from the receiver, and skill names and versions from whoever signed the bundle.
  const out = (line: string) => process.stdout.write(printable(line) + '\n');
  out(`receiver: ${h.status ?? `HTTP ${health.status}`}`);
  out(`skills:   ${h.skills?.count ?? 0} live, updated ${h.skills?.lastUpdated ?? 'never'}`);
  if (state?.status === 200) {
    const s = state.json as LiveState;
    out(
      `live:     ${s.deploymentId ?? 'nothing deployed'} serial ${s.serial ?? '-'} ${s.digest?.slice(0, 12) ?? ''}`,
    );
    for (const k of s.skills)
      out(`  ${k.name.padEnd(28)} ${k.version.slice(0, 16).padEnd(16)} ${k.fingerprint.slice(0, 12)}`);
  } else if (!remote.apiKey) {
    process.stdout.write('(set MANUAL_SYNC_API_KEY, or --api-key-env, to list the live skills)\n');
  }
  return health.status === 200 ? EXIT.ok : EXIT.findings;
}
