// `skill-sync rollback`: ask a receiver to switch back to the previous (or a given) kept release.
import { EXIT, parse, printJson } from '../args.js';
import { call, remoteFrom } from '../remote.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    url: { type: 'string' },
    to: { type: 'string' },
    'api-key-env': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(
      'usage: skill-sync rollback --url RECEIVER_URL [--to DEPLOYMENT_ID] [--api-key-env VAR] [--json]\n',
    );
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
