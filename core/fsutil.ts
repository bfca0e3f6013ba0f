// Durable file-system steps: fsync of files and folders, syncfs of a whole tree, and write-to-temp-then-rename.
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { syncFileSystem } from './syncfs.js';

export { syncFileSystem };

export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A rename is durable only once the folder holding the new name is fsynced. */
export const fsyncDir = fsyncPath;

/** Runs fn over items, at most `limit` at a time; results in item order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Makes freshly written files and the folders holding them durable (absolute paths): one syncfs when it can, else
 * every file, then every folder deepest first. A folder that is gone by now is skipped (nothing to keep).
 */
export async function syncTree(files: string[], dirs: string[]): Promise<void> {
  const any = dirs[0] ?? files[0];
  if (any === undefined || (await syncFileSystem(any))) return;
  await mapLimit(files, 16, (f) => fsyncPath(f));
  const deepestFirst = [...dirs].sort((a, b) => b.split(path.sep).length - a.split(path.sep).length);
  await mapLimit(deepestFirst, 16, (d) => fsyncDir(d).catch(ignoreGone));
}

function ignoreGone(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

export function tempName(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** Crash-safe replace: readers see either the old or the new bytes, never a torn file. */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const tmp = tempName(target);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, target);
  await fsyncDir(path.dirname(target));
}
