// Hostile bundle builders: one function per attack, each returning the .tar.gz bytes, a short name
// and the BundleError code unpack must refuse it with. Headers are written block by block, because
// node-tar will not create most of these. Shared by the unpack suite and the receiver's HTTP suite.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { fingerprint } from '../../core/digest.js';
import { encodeEntry, encodeHeader, padding } from '../../core/bundle/tar-header.js';

export interface HostileBundle {
  name: string;
  /** The BundleError code `unpackBundle` must throw. */
  code: string;
  bundle: Buffer;
}

export interface TarItem {
  path: string;
  /** Tar typeflag; default '0' (file), '5' for paths ending in '/'. */
  type?: string;
  body?: Buffer | string;
  mode?: number;
  linkname?: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Raw tar bytes: headers exactly as given (no name checks), bodies padded, two zero blocks at the end. */
export function rawTar(items: TarItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const body = Buffer.from(it.body ?? '');
    const type = it.type ?? (it.path.endsWith('/') ? '5' : '0');
    const fields = {
      path: it.path,
      type,
      size: body.length,
      mode: it.mode ?? (type === '5' ? 0o755 : 0o644),
      linkname: it.linkname,
    };
    parts.push(encodeEntry(fields), body, Buffer.alloc(padding(body.length)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface SkillSpec {
  name: string;
  files: Record<string, string | Buffer>;
}

/** A manifest (as bytes) that truthfully describes `skills`, optionally edited by `lie`. */
export function manifestFor(skills: SkillSpec[], lie?: (m: ManifestDoc) => void): Buffer {
  const doc: ManifestDoc = {
    v: 1,
    skills: skills.map((s) => {
      const files = Object.entries(s.files)
        .map(([p, c]) => ({ path: p, sha256: sha(Buffer.from(c)), size: Buffer.byteLength(c), mode: 0o644 }))
        .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      return {
        name: s.name,
        version: '1.0.0',
        path: `skills/${s.name}`,
        source: s.name,
        fingerprint: fingerprint(files),
        files,
      };
    }),
  };
  lie?.(doc);
  return Buffer.from(JSON.stringify(doc) + '\n');
}

interface ManifestDoc {
  v: 1;
  skills: {
    name: string;
    version: string;
    path: string;
    source: string;
    fingerprint: string;
    files: { path: string; sha256: string; size: number; mode: number }[];
  }[];
}

const SKILL_A: SkillSpec = {
  name: 'a',
  files: { 'SKILL.md': '---\nname: a\ndescription: test skill\n---\nHello\n' },
};

/** Manifest + `skills/` + skill `a`: a well-formed start that hostile entries are appended to. */
export function baseItems(skills: SkillSpec[] = [SKILL_A]): TarItem[] {
  const items: TarItem[] = [{ path: 'skill-sync.json', body: manifestFor(skills) }, { path: 'skills/' }];
  for (const s of skills) {
    items.push({ path: `skills/${s.name}/` });
    for (const [p, c] of Object.entries(s.files)) items.push({ path: `skills/${s.name}/${p}`, body: c });
  }
  return items;
}

const gz = (tar: Buffer, level = 6) => gzipSync(tar, { level });
const hostile = (name: string, code: string, items: TarItem[], level = 6): HostileBundle => ({
  name,
  code,
  bundle: gz(rawTar(items), level),
});

/** Control case: built by the same writer, and unpack must accept it. */
export function validBundle(): HostileBundle {
  return hostile('valid', '', baseItems());
}

export function dotDotTraversal(): HostileBundle {
  return hostile('dotdot-traversal', 'path-traversal', [
    ...baseItems(),
    { path: 'skills/a/../../../evil.txt', body: 'x' },
  ]);
}

export function absolutePath(): HostileBundle {
  return hostile('absolute-path', 'path-traversal', [
    ...baseItems(),
    { path: '/tmp/skill-sync-hostile-abs.txt', body: 'x' },
  ]);
}

export function symlinkEscape(): HostileBundle {
  return hostile('symlink-escape', 'link-entry', [
    ...baseItems(),
    { path: 'skills/a/root', type: '2', linkname: '/' },
    { path: 'skills/a/root/tmp/skill-sync-hostile-link.txt', body: 'x' },
  ]);
}

export function hardlinkOutside(): HostileBundle {
  return hostile('hardlink-outside', 'link-entry', [
    ...baseItems(),
    { path: 'skills/a/passwd', type: '1', linkname: '/etc/passwd' },
  ]);
}

export function charDevice(): HostileBundle {
  return hostile('char-device', 'special-entry', [...baseItems(), { path: 'skills/a/null', type: '3' }]);
}

export function blockDevice(): HostileBundle {
  return hostile('block-device', 'special-entry', [...baseItems(), { path: 'skills/a/sda', type: '4' }]);
}

export function fifo(): HostileBundle {
  return hostile('fifo', 'special-entry', [...baseItems(), { path: 'skills/a/pipe', type: '6' }]);
}

export function duplicateEntry(): HostileBundle {
  return hostile('duplicate-entry', 'duplicate-entry', [
    ...baseItems(),
    { path: 'skills/a/SKILL.md', body: 'evil twin' },
  ]);
}

export function caseCollision(): HostileBundle {
  return hostile('case-collision', 'name-collision', [
    ...baseItems(),
    { path: 'skills/a/README.md', body: 'one' },
    { path: 'skills/a/readme.md', body: 'two' },
  ]);
}

export function unicodeCollision(): HostileBundle {
  return hostile('unicode-collision', 'name-collision', [
    ...baseItems(),
    { path: 'skills/a/caf\u00e9.md', body: 'NFC' },
    { path: 'skills/a/cafe\u0301.md', body: 'NFD' },
  ]);
}

export function skillMdDirectory(): HostileBundle {
  const spec: SkillSpec = { name: 'a', files: { 'SKILL.md/x.md': 'inside a folder named SKILL.md' } };
  return hostile('skill-md-directory', 'skill-md-missing', [
    { path: 'skill-sync.json', body: manifestFor([spec]) },
    { path: 'skills/' },
    { path: 'skills/a/' },
    { path: 'skills/a/SKILL.md/' },
    { path: 'skills/a/SKILL.md/x.md', body: spec.files['SKILL.md/x.md'] },
  ]);
}

export function lyingManifest(): HostileBundle {
  const items = baseItems();
  items[0] = {
    path: 'skill-sync.json',
    body: manifestFor([SKILL_A], (m) => {
      const f = m.skills[0]!.files[0]!;
      f.sha256 = sha(Buffer.from('what the manifest claims'));
      m.skills[0]!.fingerprint = fingerprint(m.skills[0]!.files);
    }),
  };
  return hostile('lying-manifest', 'manifest-mismatch', items);
}

export function deepPath(): HostileBundle {
  return hostile('deep-path', 'too-deep', [
    ...baseItems(),
    { path: 'skills/a/' + 'd/'.repeat(4093) + 'f', body: 'deep' },
  ]);
}

export function manyEntries(count = 100_000): HostileBundle {
  const items = baseItems();
  // Each body is 32 pseudo-random bytes so the archive does not also trip the ratio check first.
  for (let i = 0; i < count; i++) {
    items.push({
      path: `skills/a/f${String(i).padStart(6, '0')}`,
      body: createHash('sha256').update(String(i)).digest(),
    });
  }
  return hostile('many-entries', 'too-many-entries', items, 1);
}

export function truncatedGzip(): HostileBundle {
  const big = createHash('sha512');
  const chunks: Buffer[] = [];
  for (let i = 0; i < 2048; i++) chunks.push(big.copy().update(String(i)).digest()); // 128 KiB, incompressible
  const full = gz(
    rawTar(baseItems([{ name: 'a', files: { ...SKILL_A.files, 'assets/blob.bin': Buffer.concat(chunks) } }])),
  );
  return {
    name: 'truncated-gzip',
    code: 'corrupt-gzip',
    bundle: full.subarray(0, Math.floor(full.length / 2)),
  };
}

export function backslashName(): HostileBundle {
  return hostile('backslash-name', 'bad-name', [
    ...baseItems(),
    { path: 'skills/a/..\\..\\evil.txt', body: 'x' },
  ]);
}

export function outsideSkills(): HostileBundle {
  return hostile('outside-skills', 'unexpected-entry', [
    ...baseItems(),
    { path: 'etc/cron.d/evil', body: 'x' },
  ]);
}

/**
 * 1 GiB of zeros in 128 files of 8 MiB (each under the per-file cap), gzipped once (~1 MB) and
 * cached under `cacheDir`; it is streamed through gzip, never held in memory.
 */
export async function gzipBomb(
  cacheDir = path.join(os.tmpdir(), 'skill-sync-hostile-cache'),
): Promise<HostileBundle> {
  const file = path.join(cacheDir, 'bomb-1g.tar.gz');
  const cached = await stat(file).catch(() => null);
  if (!cached) {
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const gzip = createGzip({ level: 9 });
    const done = pipeline(gzip, createWriteStream(tmp));
    const zeros = Buffer.alloc(1024 * 1024);
    const write = async (b: Buffer) => {
      if (!gzip.write(b)) await once(gzip, 'drain');
    };
    for (const item of baseItems()) {
      const body = Buffer.from(item.body ?? '');
      await write(
        encodeEntry({
          path: item.path,
          type: item.path.endsWith('/') ? '5' : '0',
          size: body.length,
          mode: 0o644,
        }),
      );
      await write(Buffer.concat([body, Buffer.alloc(padding(body.length))]));
    }
    for (let f = 0; f < 128; f++) {
      await write(
        encodeHeader({ path: `skills/a/zeros${f}`, type: '0', size: 8 * 1024 * 1024, mode: 0o644 }),
      );
      for (let i = 0; i < 8; i++) await write(zeros);
    }
    await write(Buffer.alloc(1024));
    gzip.end();
    await done;
    await rename(tmp, file);
  }
  return { name: 'gzip-bomb', code: 'ratio', bundle: await readFile(file) };
}

/** Every case, in a stable order (the bomb and the 100,000 entries are the slow ones). */
export async function allHostileBundles(): Promise<HostileBundle[]> {
  return [
    dotDotTraversal(),
    absolutePath(),
    symlinkEscape(),
    hardlinkOutside(),
    charDevice(),
    blockDevice(),
    fifo(),
    duplicateEntry(),
    caseCollision(),
    unicodeCollision(),
    skillMdDirectory(),
    lyingManifest(),
    deepPath(),
    manyEntries(),
    truncatedGzip(),
    backslashName(),
    outsideSkills(),
    await gzipBomb(),
  ];
}
