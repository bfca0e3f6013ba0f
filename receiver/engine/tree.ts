// Live-tree inspection: scan a skills folder (with digests), compare it with a manifest, or describe it as one.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint } from '../../core/digest.js';
import { SKILLS_PREFIX, type BundleManifest, type ManifestSkill } from '../../core/manifest.js';
import type { SkillFile } from '../../core/skill.js';
import { openTreeIO, type TreeIO } from '../../core/tree-io.js';

/** One entry under a scanned root; files carry their size, mode bits and sha256 ('' when unreadable). */
export interface TreeEntry {
  kind: 'file' | 'dir' | 'other';
  size: number;
  mode: number;
  sha256: string;
}

export function skillFolder(s: ManifestSkill): string {
  return s.path.startsWith(SKILLS_PREFIX) ? s.path.slice(SKILLS_PREFIX.length) : s.name;
}

/** Expected live files (relative to the live folder) with their manifest entry. */
export function expectedFiles(manifest: BundleManifest): Map<string, SkillFile> {
  const out = new Map<string, SkillFile>();
  for (const s of manifest.skills) for (const f of s.files) out.set(`${skillFolder(s)}/${f.path}`, f);
  return out;
}

/** Files hashed per request to the I/O worker. */
const HASH_BATCH = 256;

/**
 * Every entry under root (POSIX relative paths) with each file's sha256, listed and hashed by the process's I/O
 * worker in batches: a whole-tree hash is a few round trips on another core, where one async read per file made
 * a deploy wait on hundreds of thread-pool trips. The root itself may be a symlink; nothing below is followed.
 */
export async function scanTree(root: string): Promise<Map<string, TreeEntry> | null> {
  try {
    if (!(await stat(root)).isDirectory()) return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const io = openTreeIO();
  try {
    return await scanWith(io, root);
  } finally {
    await io.close();
  }
}

async function scanWith(io: TreeIO, root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const files: string[] = [];
  // Breadth first: one readdir request per level.
  for (let level = ['']; level.length > 0;) {
    const listings = await io.readdirs(level.map((rel) => path.join(root, rel)));
    const below: string[] = [];
    level.forEach((rel, i) => {
      for (const [name, kind] of listings[i] ?? []) {
        const r = rel ? `${rel}/${name}` : name;
        if (kind === 1) below.push(r);
        else if (kind === 2) files.push(r);
        out.set(r, {
          kind: kind === 1 ? 'dir' : kind === 2 ? 'file' : 'other',
          size: 0,
          mode: 0,
          sha256: '',
        });
      }
    });
    level = below;
  }
  // maxBytes -1: no content comes back, every file is only hashed (in chunks, in the worker).
  const opts = { maxBytes: -1, hashLarge: true, noFollow: true };
  for (let i = 0; i < files.length; i += HASH_BATCH) {
    const batch = files.slice(i, i + HASH_BATCH);
    const reads = await io.readFiles(
      batch.map((r) => path.join(root, r)),
      opts,
    );
    reads.forEach((read, k) => {
      const entry = out.get(batch[k] as string) as TreeEntry;
      if (read.error !== undefined || !read.isFile) entry.kind = 'other';
      else Object.assign(entry, { size: read.size, mode: read.mode & 0o777, sha256: read.sha256 });
    });
  }
  return out;
}

/** Only the owner-exec bit is part of the contract (0644 vs 0755); the rest depends on umask. */
export const execBit = (mode: number): boolean => (mode & 0o100) !== 0;

/** Every difference between the tree at root and the manifest; [] means exactly equal. */
export async function diffTree(root: string, manifest: BundleManifest): Promise<string[]> {
  const want = expectedFiles(manifest);
  const have = await scanTree(root);
  if (!have) return want.size ? [`missing: live folder ${root}`] : [];
  const dirsNeeded = new Set<string>();
  for (const p of want.keys()) {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) dirsNeeded.add(d);
  }
  const problems: string[] = [];
  for (const [p, e] of have) {
    const f = want.get(p);
    if (e.kind === 'dir') {
      if (!dirsNeeded.has(p)) problems.push(`extra: ${p}/`);
    } else if (e.kind === 'other' || !f) {
      problems.push(`extra: ${p}`);
    } else if (e.size !== f.size) {
      problems.push(`size: ${p}`);
    } else if (execBit(e.mode) !== execBit(f.mode)) {
      problems.push(`mode: ${p}`);
    } else if (e.sha256 !== f.sha256) {
      problems.push(`digest: ${p}`);
    }
  }
  for (const p of want.keys()) if (have.get(p)?.kind !== 'file') problems.push(`missing: ${p}`);
  return problems.sort();
}

/** Describes an existing skills folder as a manifest (first-start adoption). Null if it cannot be one. */
export async function manifestFromTree(
  root: string,
): Promise<{ manifest: BundleManifest } | { problem: string }> {
  const have = await scanTree(root);
  if (!have) return { manifest: { v: 1, skills: [] } };
  const skills = new Map<string, SkillFile[]>();
  for (const [p, e] of have) {
    if (e.kind === 'other') return { problem: `${p} is not a regular file or folder` };
    const slash = p.indexOf('/');
    if (slash < 0) {
      if (e.kind === 'file') return { problem: `${p} is a file at the top level, not inside a skill folder` };
      skills.set(p, skills.get(p) ?? []);
      continue;
    }
    if (e.kind !== 'file') continue;
    const name = p.slice(0, slash);
    const files = skills.get(name) ?? [];
    files.push({
      path: p.slice(slash + 1),
      sha256: e.sha256,
      size: e.size,
      mode: execBit(e.mode) ? 0o755 : 0o644,
    });
    skills.set(name, files);
  }
  const list: ManifestSkill[] = [...skills.entries()]
    .filter(([, files]) => files.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, files]) => {
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const fp = fingerprint(files);
      return {
        name,
        version: fp,
        path: `${SKILLS_PREFIX}${name}`,
        source: '(adopted)',
        fingerprint: fp,
        files,
      };
    });
  if (list.length !== skills.size) return { problem: 'it holds empty skill folders' };
  return { manifest: { v: 1, skills: list } };
}
