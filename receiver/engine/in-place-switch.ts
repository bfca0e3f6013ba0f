// In-place strategy: make a real live folder equal to a release, file by file, journaled so a crash can be repaired.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempName, writeFileAtomic } from '../../core/fsutil.js';
import { syncTree } from '../io/syncfs.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';
import { failpoint } from '../failpoint.js';
import { failureError, type TreeCopy } from '../io/protocol.js';
import { laneBySkill, openTreeLanes } from '../io/tree-io-pool.js';
import { execBit, expectedFiles, scanTree, type TreeEntry } from './tree.js';

export interface InPlaceOp {
  op: 'write' | 'remove';
  /** Relative to the live folder. */
  path: string;
}

export interface Journal {
  v: 1;
  /** Release being switched to; null = the empty set (no deployment). */
  target: string | null;
  /** What was committed live before the switch. */
  previous: string | null;
  startedAt: string;
  ops: InPlaceOp[];
}

const SKILL_MD = 'SKILL.md';

/**
 * Plans the ops that turn the live tree (as it really is on disk, not as a manifest claims) into target.
 * Order: per skill, changed files then its SKILL.md (rewritten whenever anything in the skill changes,
 * since that is what the gateway's watcher reacts to); then removed files; then removed skills, last of all.
 */
export async function planInPlace(live: string, target: BundleManifest): Promise<InPlaceOp[]> {
  const want = expectedFiles(target);
  const have = (await scanTree(live)) ?? new Map<string, TreeEntry>();
  const changed = new Set<string>();
  for (const [p, f] of want) {
    const e = have.get(p);
    if (
      !e ||
      e.kind !== 'file' ||
      e.size !== f.size ||
      execBit(e.mode) !== execBit(f.mode) ||
      e.sha256 !== f.sha256
    )
      changed.add(p);
  }
  const needed = new Set<string>();
  for (const p of want.keys()) {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) needed.add(d);
  }
  // A path that changes kind (file <-> folder) is not removed: the write clears the way for it.
  const underWantedFile = (p: string): boolean => {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) if (want.has(d)) return true;
    return false;
  };
  const extra = [...have.keys()].filter((p) => !want.has(p) && !needed.has(p) && !underWantedFile(p)).sort();
  const extraSet = new Set(extra);
  const removals = extra.filter((p) => {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d))
      if (extraSet.has(d)) return false;
    return true;
  });
  const touchedSkills = new Set([...changed, ...removals].map((p) => p.split('/')[0] as string));
  const writes: InPlaceOp[] = [];
  // Each skill's files, grouped once (filtering every path per skill was quadratic in the tree).
  const bySkill = new Map<string, string[]>();
  for (const p of want.keys()) {
    const skill = p.split('/')[0] as string;
    const list = bySkill.get(skill);
    if (list) list.push(p);
    else bySkill.set(skill, [p]);
  }
  for (const skill of [...bySkill.keys()].sort()) {
    if (!touchedSkills.has(skill)) continue;
    const files = (bySkill.get(skill) as string[]).sort();
    const skillMd = `${skill}/${SKILL_MD}`;
    for (const p of files) if (p !== skillMd && changed.has(p)) writes.push({ op: 'write', path: p });
    if (want.has(skillMd)) writes.push({ op: 'write', path: skillMd });
  }
  const isWholeSkill = (p: string): boolean => !p.includes('/');
  const inSkills = removals.filter((p) => !isWholeSkill(p)).map((p) => ({ op: 'remove' as const, path: p }));
  const skills = removals.filter(isWholeSkill).map((p) => ({ op: 'remove' as const, path: p }));
  return [...writes, ...inSkills, ...skills];
}

export async function writeJournal(file: string, j: Journal): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(j) + '\n');
}

/** Splits copy steps by skill over `n` lanes; a skill's steps keep their order (its SKILL.md last). */
function bySkillLane(steps: TreeCopy[], n: number): TreeCopy[][] {
  const lanes: TreeCopy[][] = Array.from({ length: n }, () => []);
  const laneOf = laneBySkill(n);
  for (const step of steps) (lanes[laneOf(step.rel.split('/')[0] as string)] as TreeCopy[]).push(step);
  return lanes;
}

/**
 * Runs the ops: the I/O workers copy each file to a temp name beside its target, chmod it and rename it over
 * it, so the watcher never sees a torn file, each skill in plan order (its SKILL.md after its other files) and
 * the skills split over the lanes; then removals run in order. Written files and touched folders are made
 * durable together at the end, before the caller commits: until then the journal lets recovery redo any file
 * a power cut lost.
 */
export async function runInPlace(
  live: string,
  releaseSkills: string,
  target: BundleManifest,
  ops: InPlaceOp[],
): Promise<void> {
  const want = expectedFiles(target);
  const dirs = new Set<string>([path.dirname(live), live]);
  const touched = (dst: string) => {
    for (let d = path.dirname(dst); d.length >= live.length; d = path.dirname(d)) dirs.add(d);
  };
  await mkdir(live, { recursive: true });
  const steps: TreeCopy[] = ops
    .filter((o) => o.op === 'write')
    .map((o) => {
      const f = want.get(o.path);
      if (!f) throw new Error(`in-place plan writes ${o.path}, which the manifest does not list`);
      const dst = path.join(live, o.path);
      return { rel: o.path, src: path.join(releaseSkills, o.path), tmp: tempName(dst), mode: f.mode & 0o777 };
    });
  // One request per lane for every write: a file op per thread-pool trip cost more than the copying itself.
  const lanes = openTreeLanes();
  const parts = bySkillLane(steps, lanes.length);
  let results;
  try {
    // Each worker reaches the `mid-journal` failpoint after every file it copies (receiver/failpoint.ts).
    results = await Promise.all(parts.map((part, k) => lanes[k]!.copyInto(live, part)));
  } finally {
    await Promise.all(lanes.map((io) => io.close()));
  }
  results.forEach((failed, k) => {
    if (failed) throw failureError(failed, `in-place write of ${parts[k]?.[failed.index]?.rel}`);
  });
  const written = steps.map((s) => path.join(live, s.rel));
  written.forEach(touched);
  for (const o of ops) {
    if (o.op !== 'remove') continue;
    const dst = path.join(live, o.path);
    await rm(dst, { recursive: true, force: true });
    touched(dst);
    failpoint('mid-journal');
  }
  await syncTree(written, [...dirs]);
}
