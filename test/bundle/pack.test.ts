// Deterministic pack: same tree → same bytes whatever the mtimes, umask and creation order; round trips.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../core/digest.js';
import {
  BundleError,
  buildManifest,
  canonicalJson,
  packBundle,
  readBundleManifest,
} from '../../core/bundle/index.js';
import { unpackBundle } from '../../receiver/io/unpack.js';
import { checkRepo, PACK_RETAIN_BYTES } from '../../core/check.js';
import { skillsFromTree } from './tree.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-pack-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const LONG = 'references/' + 'very-long-folder-name-'.repeat(6) + '/deeper/' + 'x'.repeat(90) + '.md';

/** [relative path, content, mode] of the test tree; modes deliberately messy. */
const TREE: [string, string, number][] = [
  ['src/beta/SKILL.md', '---\nname: beta\ndescription: b\n---\nBeta\n', 0o664],
  ['src/beta/scripts/run.sh', '#!/bin/sh\necho hi\n', 0o700],
  ['src/beta/scripts/helper.py', 'print(1)\n', 0o744],
  ['src/alpha/SKILL.md', '---\nname: alpha\ndescription: a\n---\nAlpha é\n', 0o600],
  ['src/alpha/references/notes.md', 'notes\n', 0o640],
  [`src/alpha/${LONG}`, 'long path\n', 0o644],
  ['src/alpha-two/SKILL.md', '---\nname: alpha-two\ndescription: c\n---\n', 0o644],
];

async function makeTree(
  name: string,
  opts: { reverse: boolean; umask: number; mtime: number },
): Promise<string> {
  const root = path.join(work, name);
  const old = process.umask(opts.umask);
  try {
    const entries = opts.reverse ? [...TREE].reverse() : TREE;
    for (const [rel, content, mode] of entries) {
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      await chmod(file, mode);
      await utimes(file, opts.mtime, opts.mtime);
    }
  } finally {
    process.umask(old);
  }
  return root;
}

describe('packBundle', () => {
  let rootA: string;
  let rootB: string;
  beforeAll(async () => {
    rootA = await makeTree('a', { reverse: false, umask: 0o022, mtime: 1_600_000_000 });
    rootB = await makeTree('b', { reverse: true, umask: 0o077, mtime: 1_700_000_000 });
  });

  it('gives identical bytes for the same tree with other mtimes, umask and creation order', async () => {
    const a = await packBundle(rootA, await skillsFromTree(rootA), path.join(work, 'a.tar.gz'));
    const a2 = await packBundle(rootA, (await skillsFromTree(rootA)).reverse(), path.join(work, 'a2.tar.gz'));
    const b = await packBundle(rootB, await skillsFromTree(rootB), path.join(work, 'b.tar.gz'));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a2.sha256).toBe(a.sha256);
    expect(b.sha256).toBe(a.sha256);
    const bytes = await readFile(path.join(work, 'b.tar.gz'));
    expect(sha256(bytes)).toBe(a.sha256);
    expect(bytes.length).toBe(a.size);
  });

  it('writes the documented tar layout (read back with node-tar)', async () => {
    const out = path.join(work, 'layout.tar.gz');
    await packBundle(rootA, await skillsFromTree(rootA), out);
    const seen: {
      path: string;
      type: string;
      mode?: number;
      mtime?: Date;
      uid?: number;
      gid?: number;
      uname?: string;
    }[] = [];
    await list({
      file: out,
      onReadEntry: (e) =>
        seen.push({
          path: e.path,
          type: e.type,
          mode: e.mode,
          mtime: e.mtime,
          uid: e.uid,
          gid: e.gid,
          uname: e.uname,
        }),
    });
    expect(seen[0]!.path).toBe('skill-sync.json');
    expect(seen[1]!.path).toBe('skills/');
    const paths = seen.map((e) => e.path.replace(/\/$/, ''));
    const sorted = [...paths.slice(1)].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(paths.slice(1)).toEqual(sorted);
    expect(paths).toContain(`skills/alpha/${LONG}`);
    expect(paths).toContain('skills/beta/scripts');
    for (const e of seen) {
      expect(e.mtime?.toISOString()).toBe('2000-01-01T00:00:00.000Z');
      expect([e.uid, e.gid]).toEqual([0, 0]);
      expect(e.uname ?? '').toBe('');
      expect(['File', 'Directory']).toContain(e.type);
      if (e.type === 'Directory') expect(e.mode).toBe(0o755);
    }
    const modes = Object.fromEntries(seen.map((e) => [e.path, e.mode]));
    expect(modes['skills/beta/scripts/run.sh']).toBe(0o755);
    expect(modes['skills/beta/scripts/helper.py']).toBe(0o755);
    expect(modes['skills/beta/SKILL.md']).toBe(0o644);
    expect(modes['skills/alpha/SKILL.md']).toBe(0o644);
    expect(modes['skills/alpha/references/notes.md']).toBe(0o644);
  });

  it('pins the gzip header (mtime 0, OS byte 255) and puts canonical manifest JSON first', async () => {
    const out = path.join(work, 'hdr.tar.gz');
    const skills = await skillsFromTree(rootA);
    await packBundle(rootA, skills, out);
    const bytes = await readFile(out);
    expect([...bytes.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(bytes.readUInt32LE(4)).toBe(0);
    expect(bytes[9]).toBe(255);
    const tar = gunzipSync(bytes);
    const size = parseInt(tar.toString('ascii', 124, 135), 8);
    const json = tar.toString('utf8', 512, 512 + size);
    expect(json).toBe(canonicalJson(buildManifest(skills)));
    expect(json.endsWith('}\n')).toBe(true);
    expect(await readBundleManifest(out)).toEqual(buildManifest(skills));
  });

  it('round trips through unpackBundle with modes and bytes intact', async () => {
    const out = path.join(work, 'rt.tar.gz');
    const skills = await skillsFromTree(rootB);
    const packed = await packBundle(rootB, skills, out);
    const staging = path.join(await mkdtemp(path.join(work, 'rt-')), 'staging');
    const manifest = await unpackBundle(out, staging);
    expect(manifest).toEqual(packed.manifest);
    expect(manifest.skills.map((s) => s.name)).toEqual(['alpha', 'alpha-two', 'beta']);
    expect((await stat(path.join(staging, 'skills/beta/scripts/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(staging, 'skills/alpha/SKILL.md'))).mode & 0o777).toBe(0o644);
    expect((await stat(path.join(staging, 'skills/beta/scripts'))).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(staging, 'skills/alpha', LONG), 'utf8')).toBe('long path\n');
    expect(await readFile(path.join(staging, 'skills/alpha/SKILL.md'), 'utf8')).toContain('Alpha é');
  });

  it('unpacks to exactly 0755 folders and 0644/0755 files whatever the umask', async () => {
    const out = path.join(work, 'umask.tar.gz');
    await packBundle(rootB, await skillsFromTree(rootB), out);
    // The receiver reads its umask once at start (DEP0139), so each umask gets a process of its own.
    const unpack = path.join(import.meta.dirname, '../../lib/receiver/io/unpack.js');
    for (const mask of [0o022, 0o077, 0o002]) {
      const staging = path.join(await mkdtemp(path.join(work, 'umask-')), 'staging');
      const script = path.join(path.dirname(staging), 'unpack.mjs');
      await writeFile(
        script,
        `process.umask(${mask});
        const { unpackBundle } = await import(${JSON.stringify(unpack)});
        await unpackBundle(${JSON.stringify(out)}, ${JSON.stringify(staging)});`,
      );
      execFileSync(process.execPath, [script]);
      const mode = async (rel: string) => (await stat(path.join(staging, rel))).mode & 0o777;
      expect(await mode('skills/beta/scripts')).toBe(0o755);
      expect(await mode('skills/beta')).toBe(0o755);
      expect(await mode('skills/beta/scripts/run.sh')).toBe(0o755);
      expect(await mode('skills/alpha/SKILL.md')).toBe(0o644);
      expect(await mode('skills/alpha/references/notes.md')).toBe(0o644);
    }
  });

  it('refuses a file that changed after it was checked and leaves no output or temp file', async () => {
    const root = await makeTree('c', { reverse: false, umask: 0o022, mtime: 1_600_000_000 });
    const skills = await skillsFromTree(root);
    await writeFile(path.join(root, 'src/beta/scripts/helper.py'), 'print(2)\n');
    const outDir = await mkdtemp(path.join(work, 'out-'));
    const err = await packBundle(root, skills, path.join(outDir, 'x.tar.gz')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('changed-since-check');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses a skill name that cannot be a folder', async () => {
    const skills = await skillsFromTree(rootA);
    skills[0] = { ...skills[0]!, name: '../x' };
    await expect(packBundle(rootA, skills, path.join(work, 'bad.tar.gz'))).rejects.toMatchObject({
      code: 'bad-name',
    });
  });
});

describe('packBundle with the contents a check kept', () => {
  it('gives the same bytes whether the check kept all, some or none of the files', async () => {
    const root = path.join(await makeTree('kept', { reverse: false, umask: 0o022, mtime: 1 }), 'src');
    const none = await checkRepo(root);
    const all = await checkRepo(root, { retainBytes: PACK_RETAIN_BYTES });
    const some = await checkRepo(root, { retainBytes: 64 });
    expect(none.contents.size).toBe(0);
    expect(all.contents.size).toBe(TREE.length);
    expect(some.contents.size).toBeGreaterThan(0);
    expect(some.contents.size).toBeLessThan(TREE.length);
    const digests = [];
    for (const [i, c] of [none, all, some].entries()) {
      const packed = await packBundle(root, c.skills, path.join(work, `kept-${i}.tar.gz`), {
        contents: c.contents,
      });
      digests.push(packed.sha256);
    }
    expect(new Set(digests).size).toBe(1);
  });

  it('ships the bytes that were checked, even if the file changes on disk before the pack', async () => {
    const root = path.join(await makeTree('kept-edit', { reverse: false, umask: 0o022, mtime: 1 }), 'src');
    const checked = await checkRepo(root, { retainBytes: PACK_RETAIN_BYTES });
    await writeFile(path.join(root, 'beta/scripts/helper.py'), 'print("changed after the check")\n');
    const out = path.join(work, 'kept-edit.tar.gz');
    await packBundle(root, checked.skills, out, { contents: checked.contents });
    const staging = path.join(await mkdtemp(path.join(work, 'kept-edit-')), 'staging');
    await unpackBundle(out, staging);
    expect(await readFile(path.join(staging, 'skills/beta/scripts/helper.py'), 'utf8')).toBe('print(1)\n');
    // Without kept contents the packer reads the tree again, sees the change and refuses.
    await expect(
      packBundle(root, checked.skills, path.join(work, 'kept-edit-2.tar.gz')),
    ).rejects.toMatchObject({
      code: 'changed-since-check',
    });
  });
});
