// Test helpers: build the CLI when sources are newer than lib/, and run `node bin/skill-sync.js` as a real process.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/skill-sync.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds only when one of this feature's sources changed after the last build (tsc emits despite others' errors). */
export function ensureBuilt(): void {
  const built = (() => {
    try {
      return Math.min(
        statSync(path.join(ROOT, 'lib/cli/commands/sync.js')).mtimeMs,
        statSync(path.join(ROOT, 'lib/cli/commands/state.js')).mtimeMs,
      );
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(newest(path.join(ROOT, 'core')), newest(path.join(ROOT, 'cli')));
  if (sources > built) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      /* type errors elsewhere still emit; the checks below fail loudly if ours did not */
    }
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
