// The npm package: publishable metadata, and a file list that holds everything the installed CLI imports.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from './run.js';

interface Pkg {
  name: string;
  private?: boolean;
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  publishConfig?: { access?: string };
}

describe('npm package', () => {
  it('is scoped, public and not private, with a bin the tarball holds', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as Pkg;
    expect(pkg.name).toBe('@kurultai/skill-sync');
    expect(pkg.private).toBeUndefined();
    expect(pkg.publishConfig?.access).toBe('public');
    expect(pkg.bin).toEqual({ 'skill-sync': 'bin/skill-sync.js' });
  });

  it('ships bin/, the built CLI, core and receiver, and the schemas; no tests, maps, sources or dist/', async () => {
    // --ignore-scripts: list what lib/ holds now (built by the global setup) instead of rebuilding it under
    // the other test files; scripts/pack-check.sh packs for real, with the clean build.
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO,
    });
    const [info] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const files = new Set(info!.files.map((f) => f.path));
    for (const f of [
      'package.json',
      'README.md',
      'bin/skill-sync.js',
      'lib/cli/index.js',
      'lib/cli/commands/validate.js',
      'lib/receiver/main.js',
      'lib/core/check.js',
      'lib/schemas/frontmatter.schema.json',
      'lib/schemas/skillsync.schema.json',
      'lib/schemas/sync.schema.json',
      'schemas/sync.schema.json',
    ])
      expect(files, f).toContain(f);
    for (const f of files)
      expect(f).not.toMatch(/^(test|dist|action|bench|cli|core|receiver|lib\/action)\/|\.map$|\.ts$/);

    // Every relative import of every shipped module resolves to a shipped file (the tarball is self-contained).
    const missing: string[] = [];
    for (const f of files) {
      if (!f.endsWith('.js')) continue;
      const text = await readFile(path.join(REPO, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1] as string));
        if (!target.includes('${') && !files.has(target)) missing.push(`${f} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
