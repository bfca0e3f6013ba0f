// The receiver's re-validation from memory: the unpacked tree in memory checks exactly as staging on disk does.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle } from '../../core/bundle/index.js';
import { unpackBundle } from '../../receiver/io/unpack.js';
import { checkRepo, type CheckResult } from '../../core/check.js';
import type { MemoryTree } from '../../receiver/io/memory-tree.js';
import { checksummedToken, rng } from '../secrets/fakes.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-memtree-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const SECRET = checksummedToken('ghp', rng(7));

/** Skills with findings of every kind the check reads from file contents and modes. */
const FILES: [string, string, number][] = [
  [
    'alpha/SKILL.md',
    '---\nname: alpha\ndescription: Does alpha things.\nversion: 1.0\n---\n# Alpha\n',
    0o644,
  ],
  ['alpha/references/notes.md', `token ${SECRET}\n`, 0o644],
  ['alpha/references/deep/er/more.md', 'deep\n', 0o644],
  ['beta/SKILL.md', '---\nname: beta\ndescription: "unclosed\n---\nBeta\n', 0o644],
  ['gamma/SKILL.md', '---\nname: gamma\ndescription: Has a SYNC.json.\n---\n', 0o644],
  [
    'gamma/SYNC.json',
    JSON.stringify({ version: '1', outputFile: '/data/out.md', patterns: ['a:*'], generator: 'gen.sh' }),
    0o644,
  ],
  ['gamma/gen.sh', '#!/bin/sh\necho\n', 0o644],
  ['delta/SKILL.md', '---\nname: delta\ndescription: Generator is fine.\n---\n', 0o644],
  [
    'delta/SYNC.json',
    JSON.stringify({
      version: '1',
      outputFile: '/data/d.md',
      patterns: ['d:*'],
      generator: 'scripts/gen.sh',
    }),
    0o644,
  ],
  ['delta/scripts/gen.sh', '#!/bin/sh\necho\n', 0o755],
  ['epsilon/SKILL.md', '---\nname: epsilon\ndescription: Points at a missing generator.\n---\n', 0o644],
  [
    'epsilon/SYNC.json',
    JSON.stringify({ version: '1', outputFile: '/data/e.md', patterns: ['e:*'], generator: 'nope.sh' }),
    0o644,
  ],
];

async function bundleOf(name: string, files = FILES): Promise<string> {
  const src = path.join(work, name);
  for (const [rel, text, mode] of files) {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await writeFile(path.join(src, rel), text);
    await chmod(path.join(src, rel), mode);
  }
  const checked = await checkRepo(src);
  const out = path.join(work, `${name}.tar.gz`);
  await packBundle(src, checked.skills, out, { contents: checked.contents });
  return out;
}

const comparable = (r: CheckResult) => ({ skills: r.skills, findings: r.findings });

describe('unpackBundle check on the tree in memory', () => {
  it('finds exactly what a check of staging on disk finds', async () => {
    const bundle = await bundleOf('same');
    const staging = path.join(work, 'same-staging');
    let fromMemory: CheckResult | undefined;
    let tree: MemoryTree | null = null;
    await unpackBundle(bundle, staging, undefined, {
      check: async (_m, skills) => {
        tree = skills;
        fromMemory = await checkRepo(path.join(staging, 'skills'), skills ? { tree: skills } : {});
      },
    });
    expect(tree).not.toBeNull();
    const fromDisk = await checkRepo(path.join(staging, 'skills'));
    expect(comparable(fromMemory!)).toEqual(comparable(fromDisk));
    // The fixture really exercises the rules that read contents and modes.
    const rules = new Set(fromDisk.findings.map((f) => f.rule));
    expect(rules).toContain('sync/generator-not-executable');
    expect(rules).toContain('sync/generator-missing');
    expect([...rules].some((r) => r.startsWith('secret/'))).toBe(true);
    expect([...rules].some((r) => r.startsWith('frontmatter/'))).toBe(true);
    expect(fromDisk.skills.map((s) => s.name).sort()).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
  });

  it('fails the unpack with the check’s error, after every write has settled', async () => {
    const bundle = await bundleOf('refused');
    const staging = path.join(work, 'refused-staging');
    const err = await unpackBundle(bundle, staging, undefined, {
      check: async () => {
        throw new Error('refused by the check');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('refused by the check');
    // Nothing is still being written: what is there now stays so.
    const before = await readdir(staging, { recursive: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(staging, { recursive: true })).toEqual(before);
  });

  it('hands over no tree when the files are over keepBytes, and staging is complete on disk by then', async () => {
    const bundle = await bundleOf('big');
    const staging = path.join(work, 'big-staging');
    let got: MemoryTree | null | undefined;
    let onDisk = '';
    await unpackBundle(bundle, staging, undefined, {
      keepBytes: 16,
      check: async (_m, skills) => {
        got = skills;
        onDisk = await readFile(path.join(staging, 'skills/alpha/references/deep/er/more.md'), 'utf8');
      },
    });
    expect(got).toBeNull();
    expect(onDisk).toBe('deep\n');
  });
});
