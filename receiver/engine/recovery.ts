// Start-up recovery: bring the live path back to exactly the committed deployment and clear crash leftovers.
import { readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../../core/fsutil.js';
import type { Journal } from './in-place-switch.js';
import { pidAlive } from './lock.js';
import { releaseDir, releaseSkills, type Layout } from './paths.js';
import type { EngineState } from './state.js';
import { clearJournal, EMPTY_MANIFEST, switchLive } from './switch.js';
import { linkTarget, liveKind } from './symlink-switch.js';
import type { Log } from '../log.js';
import { EngineError, type Strategy } from './types.js';

export interface RecoveryContext {
  layout: Layout;
  strategy: Strategy;
  state: EngineState;
  log: Log;
  newStaging(): Promise<string>;
}

export interface RecoveryReport {
  /** True when the live tree was changed, so the gateway should reload. */
  changedLive: boolean;
  actions: string[];
}

/** Staging and temp entries are named `<pid>-<random>`: only a dead owner's (or our previous life's) go. */
async function clearLeftovers(dir: string, actions: string[]): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(name.split('-')[0]);
    if (pid !== process.pid && pidAlive(pid)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    actions.push(`removed leftover ${path.basename(dir)}/${name}`);
  }
}

/** Temp names from tempName() (`.<base>.tmp-<pid>-<hex>`) left by a crash mid-rename. */
async function clearTempNames(dir: string, bases: string[], actions: string[]): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m || !bases.includes(m[1] as string)) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && pidAlive(pid)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    actions.push(`removed leftover ${name}`);
  }
}

async function readJournal(file: string): Promise<Journal | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Journal;
  } catch (err) {
    // writeFileAtomic means a journal is whole or absent; unreadable = absent but a repair is still due.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { v: 1, target: null, previous: null, startedAt: '', ops: [] };
  }
}

async function isEmptyDir(p: string): Promise<boolean> {
  return (await readdir(p)).length === 0;
}

/**
 * state.json is the commit point: whatever the crash, the live path ends up showing state.live (or nothing).
 * An in-place journal whose target is already committed is finished (rolled forward); any other is undone.
 */
export async function recover(ctx: RecoveryContext): Promise<RecoveryReport> {
  const { layout: l, state, log } = ctx;
  const actions: string[] = [];
  let changedLive = false;
  await clearLeftovers(l.staging, actions);
  await clearLeftovers(l.tmp, actions);
  await clearTempNames(l.root, ['state.json', 'journal.json'], actions);
  await clearTempNames(path.dirname(l.live), [path.basename(l.live)], actions);
  const live = state.live;
  if (live) {
    const ok = await stat(releaseSkills(l, live.deploymentId)).catch(() => null);
    if (!ok?.isDirectory()) {
      throw new EngineError(
        'ENGINE_RELEASE_MISSING',
        `state.json says ${live.deploymentId} is live but ${releaseDir(l, live.deploymentId)} is missing or incomplete`,
      );
    }
  }
  const kind = await liveKind(l.live);
  if (kind === 'other') {
    throw new EngineError('ENGINE_LIVE_NOT_DIR', `${l.live} is neither a folder nor a symlink; move it away`);
  }
  const journal = await readJournal(l.journal);
  // With a journal, a folder and no committed state is a first in-place deploy cut short, not the operator's files.
  // Anything else in it was put there by someone else: skill-sync never adopts or deletes it (docs/railway.md).
  if (kind === 'dir' && !live && !journal) {
    const foreign = await readdir(l.live);
    if (foreign.length > 0) {
      const shown =
        foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, … (${foreign.length} entries)` : '');
      throw new EngineError(
        'ENGINE_FOREIGN_LIVE',
        `${l.live} already holds files skill-sync did not deploy (${shown}). skill-sync needs a folder of its own ` +
          'and never adopts or deletes what it did not deploy: point SKILLS_DIR at a new folder (docs/railway.md), ' +
          'or move these files away yourself, then restart',
      );
    }
  }
  const target = state.live?.deploymentId ?? null;
  const manifest = state.live?.manifest ?? EMPTY_MANIFEST;

  if (ctx.strategy === 'symlink') {
    let replaced: string | null = null;
    if (kind === 'dir') {
      // An empty folder, or a strategy change from in-place (the folder then shows the committed release).
      if (await isEmptyDir(l.live)) await rmdir(l.live);
      else if (target)
        await rename(l.live, (replaced = path.join(l.tmp, `${process.pid}-replaced-live-${Date.now()}`)));
      else
        throw new EngineError('ENGINE_LIVE_NOT_EMPTY', `${l.live} holds files but nothing is committed live`);
      await fsyncDir(path.dirname(l.live));
    }
    const before = await linkTarget(l.live);
    await switchLive(l, 'symlink', target, manifest, target);
    if (before !== (await linkTarget(l.live))) {
      changedLive = true;
      actions.push(`pointed ${l.live} at ${target ?? '(nothing)'}`);
    }
    if (replaced) await rm(replaced, { recursive: true, force: true });
    if (journal) await clearJournal(l);
  } else {
    if (kind === 'symlink') {
      await rm(l.live, { force: true });
      changedLive = true;
    }
    if (journal || kind === 'symlink') {
      const forward = journal?.target === target;
      await switchLive(l, 'in-place', target, manifest, target);
      await clearJournal(l);
      changedLive = true;
      actions.push(
        `${forward ? 'finished' : 'undid'} an interrupted in-place switch; live is ${target ?? '(nothing)'}`,
      );
    }
  }

  // Releases that state.json does not know are from a deploy that never committed.
  const known = new Set(state.releases.map((r) => r.deploymentId));
  if (target) known.add(target);
  for (const name of await readdir(l.releases).catch(() => [] as string[])) {
    if (known.has(name)) continue;
    await rm(releaseDir(l, name), { recursive: true, force: true });
    actions.push(`removed uncommitted release ${name}`);
  }
  if (actions.length) log.warn({ actions }, 'recovered after an interrupted run');
  return { changedLive, actions };
}
