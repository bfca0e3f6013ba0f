// The I/O worker lanes: one per core (two at most), idle workers never keep a process alive, and a bundle whose
// skills are interleaved in the tar still lands exactly, each skill's folders made before its files, and a scan
// split over the lanes sees every entry of a tree as it is.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { unpackBundle } from '../../receiver/io/unpack.js';
import { TREE_IO_LANES, openTreeLanes } from '../../receiver/io/tree-io-pool.js';
import { scanTree } from '../../receiver/engine/tree.js';
import { manifestFor, rawTar, type SkillSpec, type TarItem } from '../support/hostile.js';
import { tempDir } from '../support/receiver.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    out.push(`${d.isDirectory() ? 'd' : 'f'}:${p}`);
    if (d.isDirectory()) out.push(...(await walk(dir, p)));
  }
  return out.sort();
}

describe('tree I/O lanes', () => {
  it('has one lane per core, two at most', () => {
    expect(TREE_IO_LANES).toBe(Math.min(2, availableParallelism()));
    expect(openTreeLanes()).toHaveLength(TREE_IO_LANES);
  });

  it('lets a process exit when a lane was started but never used', async () => {
    const dir = await tempDir('skill-sync-lanes-');
    await mkdir(path.join(dir, 'empty'));
    const script = [
      `import { openTreeLanes } from ${JSON.stringify(path.join(ROOT, 'lib/receiver/io/tree-io-pool.js'))};`,
      `const lanes = openTreeLanes();`,
      `const [listing] = await lanes[0].readdirs([${JSON.stringify(path.join(dir, 'empty'))}]);`,
      `console.log(JSON.stringify({ lanes: lanes.length, listing }));`,
    ].join('\n');
    const file = path.join(dir, 'lanes.mjs');
    await writeFile(file, script);
    // Would time out if an idle worker kept the event loop alive (it did when unref() preceded the listener).
    const out = execFileSync(process.execPath, [file], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(JSON.parse(out)).toEqual({ lanes: TREE_IO_LANES, listing: [] });
  });

  it('unpacks skills interleaved in the tar, nested folders included, exactly', async () => {
    const skills: SkillSpec[] = Array.from({ length: 40 }, (_, i) => ({
      name: `s${String(i).padStart(2, '0')}`,
      files: {
        'SKILL.md': `---\nname: s${i}\ndescription: skill ${i}\n---\nBody ${i}\n`,
        'references/a.md': `ref a of ${i}\n`,
        'references/deep/er/b.md': `ref b of ${i}\n`,
      },
    }));
    // No folder entries at all, and the skills' files take turns: no skill's entries are contiguous.
    const items: TarItem[] = [{ path: 'skill-sync.json', body: manifestFor(skills) }];
    for (const file of ['SKILL.md', 'references/a.md', 'references/deep/er/b.md'])
      for (const s of skills) items.push({ path: `skills/${s.name}/${file}`, body: s.files[file] });
    const work = await tempDir('skill-sync-lanes-');
    const bundle = path.join(work, 'b.tar.gz');
    await writeFile(bundle, gzipSync(rawTar(items)));
    const staging = path.join(work, 'staging');
    const manifest = await unpackBundle(bundle, staging);
    expect(manifest.skills).toHaveLength(40);
    const want = ['f:skill-sync.json', 'd:skills'];
    for (const s of skills) {
      const d = `skills/${s.name}`;
      want.push(`d:${d}`, `d:${d}/references`, `d:${d}/references/deep`, `d:${d}/references/deep/er`);
      for (const file of Object.keys(s.files)) want.push(`f:${d}/${file}`);
    }
    expect(await walk(staging)).toEqual(want.sort());
    for (const s of skills)
      for (const [file, body] of Object.entries(s.files))
        expect(await readFile(path.join(staging, 'skills', s.name, file), 'utf8')).toBe(body);
  });

  it('scans a tree over the lanes: every entry, each file hashed, links and FIFOs as other, any depth', async () => {
    const root = await tempDir('skill-sync-scan-');
    const big = Buffer.alloc(700_000, 7); // over the worker's 256 KiB read chunk
    const want: Record<string, string> = {};
    const file = async (rel: string, body: string | Buffer, mode = 0o644) => {
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await writeFile(path.join(root, rel), body, { mode });
      want[rel] =
        `file ${Buffer.byteLength(body)} ${mode.toString(8)} ${createHash('sha256').update(body).digest('hex')}`;
    };
    for (let i = 0; i < 9; i++) await file(`s${i}/SKILL.md`, `skill ${i}\n`);
    await file('s0/scripts/run.sh', '#!/bin/sh\n', 0o755);
    await file('s1/big.bin', big);
    await file('loose.txt', 'top-level file\n');
    const deep = Array.from({ length: 60 }, (_, i) => `d${i}`).join('/');
    await file(`s2/${deep}/leaf.md`, 'deep\n');
    await mkdir(path.join(root, 's3/empty'));
    await symlink('/etc', path.join(root, 's4/link'));
    execFileSync('mkfifo', [path.join(root, 's5/fifo')]);
    const got = await scanTree(root);
    const seen: Record<string, string> = {};
    for (const [rel, e] of got ?? [])
      if (e.kind === 'file') seen[rel] = `file ${e.size} ${e.mode.toString(8)} ${e.sha256}`;
      else seen[rel] = e.kind;
    const dirs = ['s0/scripts', 's3/empty', ...Array.from({ length: 9 }, (_, i) => `s${i}`)];
    for (let d = path.posix.dirname(`s2/${deep}/leaf.md`); d !== '.'; d = path.posix.dirname(d)) dirs.push(d);
    const expected: Record<string, string> = { ...want, 's4/link': 'other', 's5/fifo': 'other' };
    for (const d of dirs) expected[d] = 'dir';
    expect(seen).toEqual(expected);
  });
});
