// One switch step for either strategy: make the live path show exactly one release (or nothing).
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../../core/fsutil.js';
import { MANIFEST_FILE, type BundleManifest } from '../../core/bundle-manifest.js';
import { failpoint } from '../failpoint.js';
import { planInPlace, runInPlace, writeJournal } from './in-place-switch.js';
import { releaseDir, releaseSkills, type Layout } from './paths.js';
import { pointLiveAt } from './symlink-switch.js';
import type { Strategy } from './types.js';

export const EMPTY_MANIFEST: BundleManifest = { v: 1, skills: [] };

export async function readReleaseManifest(l: Layout, id: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(path.join(releaseDir(l, id), MANIFEST_FILE), 'utf8')) as BundleManifest;
}

/**
 * Switches live to release `target` (null = no deployment). For in-place, a journal naming the target and
 * the committed `previous` is written first; recovery uses it to finish or undo the switch.
 */
export async function switchLive(
  l: Layout,
  strategy: Strategy,
  target: string | null,
  manifest: BundleManifest,
  previous: string | null,
): Promise<void> {
  if (strategy === 'symlink') {
    await pointLiveAt(l.live, target === null ? null : releaseSkills(l, target));
    return;
  }
  const ops = await planInPlace(l.live, manifest);
  await writeJournal(l.journal, { v: 1, target, previous, startedAt: new Date().toISOString(), ops });
  failpoint('after-journal');
  await runInPlace(l.live, target === null ? l.live : releaseSkills(l, target), manifest, ops);
}

export async function clearJournal(l: Layout): Promise<void> {
  await rm(l.journal, { force: true });
  await fsyncDir(l.root);
}
