// Global test setup, run once per `vitest run`: bring lib/ and dist/ up to date with the sources (tests run
// the built CLI, receiver and Action as real processes), and build the Neo4j test server when Java is here.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scopeTmpdir } from './tmpdir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = ['core', 'action', 'receiver', 'cli', 'bench', 'scripts', 'schemas'];

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.name.endsWith('.test.ts'))
      t = Math.max(t, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export default function setup(): () => void {
  const sources = Math.max(
    ...SOURCES.map((d) => newest(path.join(ROOT, d))),
    mtime(path.join(ROOT, 'package-lock.json')),
  );
  const stamp = path.join(ROOT, 'lib', '.built');
  if (mtime(stamp) < sources) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    writeFileSync(stamp, new Date().toISOString());
  }
  if (mtime(path.join(ROOT, 'dist', 'index.js')) < sources) {
    execFileSync('npx', ['ncc', 'build', 'lib/action/index.js', '-o', 'dist', '--license', 'licenses.txt'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  // Neo4j tests need the launcher; without Java they report themselves skipped (and fail under CI).
  if (have('java') && have('mvn'))
    execFileSync('bash', ['scripts/neo4j-fetch.sh'], { cwd: ROOT, stdio: 'inherit' });
  else console.warn('[setup] java or mvn not found: Neo4j tests will be skipped (they fail when CI is set)');
  return scopeTmpdir();
}
