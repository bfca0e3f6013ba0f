// Where the pinned OpenClaw gateway and Node 24 live: installed on first use by scripts/node24.sh and openclaw.sh.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GatewayRuntime {
  node: string;
  entry: string;
}

/** The repository root, from scripts/gateway (tests) or lib/scripts/gateway (the built scripts and bench). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'scripts', 'openclaw.sh'))) dir = path.dirname(dir);
  return dir;
}

let cached: GatewayRuntime | undefined;

/** Node 24 and the pinned gateway's `openclaw.mjs`; the first call may install them (tens of seconds). */
export function gatewayRuntime(): GatewayRuntime {
  const root = repoRoot();
  const run = (script: string) =>
    execFileSync('bash', [path.join(root, 'scripts', script)], { encoding: 'utf8' }).trim();
  cached ??= { node: run('node24.sh'), entry: run('openclaw.sh') };
  return cached;
}
