// In-place strategy: make a real live folder equal to a release, file by file, journaled so a crash can be repaired.
import { chmod, copyFile, lstat, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { syncTree, tempName, writeFileAtomic } from '../../core/fsutil.js';
import type { BundleManifest } from '../../core/manifest.js';
import { crashPoint } from './crash.js';
import { execBit, expectedFiles, scanTree } from './tree.js';

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
  const have = (await scanTree(live)) ?? new Map();
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
  const folders = [...new Set([...want.keys()].map((p) => p.split('/')[0] as string))].sort();
  for (const skill of folders) {
    if (!touchedSkills.has(skill)) continue;
    const files = [...want.keys()].filter((p) => p.startsWith(`${skill}/`)).sort();
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

/** Removes anything that would stop a file being written at rel: a folder in its place, a file as a parent. */
async function clearWay(live: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const p = path.join(live, ...parts.slice(0, i));
    const st = await lstat(p).catch(() => null);
    if (!st) return;
    if (!st.isDirectory()) {
      await rm(p, { force: true });
      return;
    }
  }
  const st = await lstat(path.join(live, rel)).catch(() => null);
  if (st?.isDirectory()) await rm(path.join(live, rel), { recursive: true, force: true });
}

/** Op counter across the process, for the `mid-journal:<n>` crash step. */
let opsDone = 0;

/** Skills whose writes run at once: each skill's own ops stay in order (its SKILL.md last). */
const SKILL_CONCURRENCY = 8;

/**
 * Runs the ops: each file is copied to a temp name beside its target, chmod'ed and renamed over it, so the
 * watcher never sees a torn file. Skills are written side by side (a skill's files in plan order, its SKILL.md
 * last), then removals run in order. Written files and touched folders are fsynced together at the end,
 * before the caller commits: until then the journal lets recovery redo any file a power cut lost.
 */
export async function runInPlace(
  live: string,
  releaseSkills: string,
  target: BundleManifest,
  ops: InPlaceOp[],
): Promise<void> {
  const want = expectedFiles(target);
  const dirs = new Set<string>([path.dirname(live), live]);
  const written: string[] = [];
  await mkdir(live, { recursive: true });
  const run = async (o: InPlaceOp): Promise<void> => {
    const dst = path.join(live, o.path);
    if (o.op === 'write') {
      const f = want.get(o.path);
      if (!f) throw new Error(`in-place plan writes ${o.path}, which the manifest does not list`);
      await clearWay(live, o.path);
      await mkdir(path.dirname(dst), { recursive: true });
      const tmp = tempName(dst);
      try {
        await copyFile(path.join(releaseSkills, o.path), tmp);
        await chmod(tmp, f.mode & 0o777);
        await rename(tmp, dst);
        written.push(dst);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    } else {
      await rm(dst, { recursive: true, force: true });
    }
    for (let d = path.dirname(dst); d.length >= live.length; d = path.dirname(d)) dirs.add(d);
    opsDone++;
    crashPoint(`mid-journal:${opsDone}`);
  };
  const bySkill = new Map<string, InPlaceOp[]>();
  for (const o of ops) {
    if (o.op !== 'write') continue;
    const skill = o.path.split('/')[0] as string;
    const list = bySkill.get(skill);
    if (list) list.push(o);
    else bySkill.set(skill, [o]);
  }
  // On a failure no new skill starts, and every write under way settles before we throw: the caller switches
  // back next, and nothing of this switch may still be writing then.
  const groups = [...bySkill.values()];
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let list; !failure && (list = groups.shift());) {
      try {
        for (const o of list) await run(o);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: SKILL_CONCURRENCY }, worker));
  if (failure) throw failure.err;
  for (const o of ops) if (o.op !== 'write') await run(o);
  await syncTree(written, [...dirs]);
}
