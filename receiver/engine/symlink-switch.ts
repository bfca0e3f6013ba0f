// Symlink strategy: the live path is a symlink to releases/<id>/skills, replaced in one rename(2).
import { lstat, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, tempName } from '../../core/fsutil.js';
import { failpoint } from '../failpoint.js';

export type LiveKind = 'missing' | 'symlink' | 'dir' | 'other';

export async function liveKind(live: string): Promise<LiveKind> {
  try {
    const st = await lstat(live);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Absolute folder the live symlink points at, or null when it is not a symlink. */
export async function linkTarget(live: string): Promise<string | null> {
  if ((await liveKind(live)) !== 'symlink') return null;
  return path.resolve(path.dirname(live), await readlink(live));
}

/**
 * Points the live path at target (a release's skills folder), or removes it when target is null.
 * The link is relative so the volume can be mounted elsewhere; the folder is fsynced so the switch is durable.
 */
export async function pointLiveAt(live: string, target: string | null): Promise<void> {
  const dir = path.dirname(live);
  if (target === null) {
    if ((await liveKind(live)) === 'symlink') {
      await rm(live, { force: true });
      await fsyncDir(dir);
    }
    return;
  }
  if ((await linkTarget(live)) === path.resolve(target)) return;
  const tmp = tempName(live);
  await symlink(path.relative(dir, target), tmp);
  failpoint('mid-switch');
  try {
    await rename(tmp, live);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}
