// Live-tree inspection: scan a skills folder (with digests) and compare it with a manifest.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SKILLS_PREFIX, type BundleManifest, type ManifestSkill } from '../../core/bundle-manifest.js';
import type { SkillFile } from '../../core/skill/model.js';
import { laneBySkill, openTreeLanes, type TreeIO } from '../io/tree-io-pool.js';

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

/**
 * Every entry under root (POSIX relative paths) with each file's sha256, listed and hashed by the process's I/O
 * workers: the top level first, then each worker walks and hashes its share of the skill folders in one
 * request. One async call per file made a deploy wait on hundreds of thread-pool trips, and one request per
 * folder level still cost a round trip each. The root itself may be a symlink; nothing below is followed.
 */
export async function scanTree(root: string): Promise<Map<string, TreeEntry> | null> {
  try {
    if (!(await stat(root)).isDirectory()) return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const lanes = openTreeLanes();
  try {
    return await scanWith(lanes, root);
  } finally {
    await Promise.all(lanes.map((io) => io.close()));
  }
}

const KINDS = ['other', 'dir', 'file'] as const;

async function scanWith(lanes: TreeIO[], root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const [top = []] = await (lanes[0] as TreeIO).readdirs([root]);
  const dirs: string[][] = lanes.map(() => []);
  const files: string[] = [];
  const laneOf = laneBySkill(lanes.length);
  for (const [name, kind] of top) {
    if (kind === 1) (dirs[laneOf(name)] as string[]).push(name);
    else if (kind === 2) files.push(name);
    out.set(name, { kind: KINDS[kind], size: 0, mode: 0, sha256: '' });
  }
  const found = await Promise.all(
    lanes.map((lane, k) => lane.scan(root, dirs[k] as string[], k ? [] : files)),
  );
  for (const entries of found)
    for (const [rel, kind, size, mode, sha256] of entries)
      out.set(rel, { kind: KINDS[kind], size, mode, sha256 });
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
