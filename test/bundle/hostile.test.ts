// Hostile bundles against unpackBundle: each is refused with its code and nothing lands outside staging.
import { lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError } from '../../core/bundle/index.js';
import { unpackBundle } from '../../receiver/io/unpack.js';
import * as hostile from '../support/hostile.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-hostile-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Every path under `dir` (relative), with its type, sorted; symlinks are listed, never followed. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    out.push(`${d.isDirectory() ? 'd' : d.isFile() ? 'f' : 'other'}:${p}`);
    if (d.isDirectory()) out.push(...(await walk(dir, p)));
  }
  return out.sort();
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

async function attempt(
  c: hostile.HostileBundle,
): Promise<{ err: unknown; parent: string; before: string[] }> {
  const parent = await mkdtemp(path.join(work, `${c.name}-`));
  const bundleFile = path.join(work, `${c.name}.tar.gz`);
  await writeFile(bundleFile, c.bundle);
  await writeFile(path.join(parent, 'sentinel.txt'), 'untouched');
  const before = await walk(parent);
  const err = await unpackBundle(bundleFile, path.join(parent, 'staging')).then(
    () => null,
    (e: unknown) => e,
  );
  return { err, parent, before };
}

describe('unpackBundle against hostile bundles', () => {
  it('accepts the well-formed control bundle built by the same writer', async () => {
    const { err, parent } = await attempt(hostile.validBundle());
    expect(err).toBeNull();
    expect(await walk(path.join(parent, 'staging'))).toEqual([
      'd:skills',
      'd:skills/a',
      'f:skill-sync.json',
      'f:skills/a/SKILL.md',
    ]);
  });

  const cases: [string, () => hostile.HostileBundle | Promise<hostile.HostileBundle>][] = [
    ['dotDotTraversal', hostile.dotDotTraversal],
    ['absolutePath', hostile.absolutePath],
    ['symlinkEscape', hostile.symlinkEscape],
    ['hardlinkOutside', hostile.hardlinkOutside],
    ['charDevice', hostile.charDevice],
    ['blockDevice', hostile.blockDevice],
    ['fifo', hostile.fifo],
    ['duplicateEntry', hostile.duplicateEntry],
    ['caseCollision', hostile.caseCollision],
    ['unicodeCollision', hostile.unicodeCollision],
    ['skillMdDirectory', hostile.skillMdDirectory],
    ['lyingManifest', hostile.lyingManifest],
    ['deepPath', hostile.deepPath],
    ['manyEntries', () => hostile.manyEntries()],
    ['truncatedGzip', hostile.truncatedGzip],
    ['backslashName', hostile.backslashName],
    ['outsideSkills', hostile.outsideSkills],
    ['gzipBomb', () => hostile.gzipBomb()],
  ];

  it.each(cases)('%s is refused with its code and writes nothing outside staging', async (_label, build) => {
    const c = await build();
    const { err, parent, before } = await attempt(c);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe(c.code);
    const after = (await walk(parent)).filter((p) => !/^(d|f|other):staging(\/|$)/.test(p));
    expect(after).toEqual(before);
    expect(await exists('/tmp/skill-sync-hostile-abs.txt')).toBe(false);
    expect(await exists('/tmp/skill-sync-hostile-link.txt')).toBe(false);
    expect(await exists(path.join(work, 'evil.txt'))).toBe(false);
    // Nothing in staging is anything but a plain file or folder.
    expect((await walk(path.join(parent, 'staging'))).filter((p) => p.startsWith('other:'))).toEqual([]);
  });

  it('stops the gzip bomb early: no more than a few MB were written to staging', async () => {
    const { err, parent } = await attempt(await hostile.gzipBomb());
    expect((err as BundleError).code).toBe('ratio');
    let bytes = 0;
    for (const p of await walk(path.join(parent, 'staging'))) {
      if (p.startsWith('f:')) bytes += (await lstat(path.join(parent, 'staging', p.slice(2)))).size;
    }
    expect(bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a staging folder that is not empty', async () => {
    const parent = await mkdtemp(path.join(work, 'nonempty-'));
    await writeFile(path.join(parent, 'x'), 'x');
    const bundleFile = path.join(work, 'valid.tar.gz');
    await writeFile(bundleFile, hostile.validBundle().bundle);
    await expect(unpackBundle(bundleFile, parent)).rejects.toMatchObject({ code: 'staging-not-empty' });
  });

  it('applies custom limits (entry count, per-file size)', async () => {
    const bundleFile = path.join(work, 'limits.tar.gz');
    await writeFile(bundleFile, hostile.validBundle().bundle);
    const p1 = await mkdtemp(path.join(work, 'lim-'));
    await expect(unpackBundle(bundleFile, path.join(p1, 's'), { maxEntries: 2 })).rejects.toMatchObject({
      code: 'too-many-entries',
    });
    await expect(unpackBundle(bundleFile, path.join(p1, 't'), { maxFileBytes: 10 })).rejects.toMatchObject({
      code: 'file-too-large',
    });
  });
});
