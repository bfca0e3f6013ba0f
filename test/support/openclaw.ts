// Test helper: where the pinned OpenClaw gateway and Node 24 live (installed on first use by scripts/).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let cached: { node: string; entry: string } | undefined;

/** Node 24 and the gateway's `openclaw.mjs`; the first call may install them (tens of seconds). */
export function openclaw(): { node: string; entry: string } {
  cached ??= {
    node: execFileSync('bash', [path.join(ROOT, 'scripts/node24.sh')], { encoding: 'utf8' }).trim(),
    entry: execFileSync('bash', [path.join(ROOT, 'scripts/openclaw.sh')], { encoding: 'utf8' }).trim(),
  };
  return cached;
}
