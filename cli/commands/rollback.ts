// `skill-sync rollback`: ask a receiver to switch back to the previous (or a given) kept release.
import { EXIT, GLOBAL_HELP, parse, printJson } from '../args.js';
import { call, remoteFrom } from '../remote.js';

export const HELP = `usage: skill-sync rollback --url RECEIVER_URL [--to DEPLOYMENT_ID] [--api-key-env VAR] [--json]

Asks a receiver to switch back to the previous kept release, or to the one given with --to.

options:
  --url URL            receiver base URL (default $SKILL_SYNC_RECEIVER_URL)
  --to ID              deployment id to switch to (default: the one before the live one)
  --api-key-env VAR    variable holding the API key (default MANUAL_SYNC_API_KEY; an unset VAR is an error)
  --json               print the receiver's answer as JSON
${GLOBAL_HELP}

exit: 0 rolled back, 1 refused or unreachable, 2 usage error`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    url: { type: 'string' },
    to: { type: 'string' },
    'api-key-env': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const remote = remoteFrom(values);
  const res = await call(remote, 'POST', '/api/rollback', values.to ? { deploymentId: values.to } : {});
  const body = res.json as {
    status?: string;
    liveDeploymentId?: string;
    error?: { code: string; message: string };
  };
  if (values.json) printJson(body);
  else if (res.status === 200) process.stdout.write(`rolled back: live is now ${body.liveDeploymentId}\n`);
  else
    process.stderr.write(
      `rollback refused (HTTP ${res.status}): ${body.error?.code ?? ''} ${body.error?.message ?? ''}\n`,
    );
  return res.status === 200 ? EXIT.ok : EXIT.findings;
}
