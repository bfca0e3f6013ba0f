// Durable file-system steps: fsync of files and folders, and write-to-temp-then-rename.
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * A rename is durable only once the folder holding the new name is fsynced. Windows cannot open a folder for
 * that (NTFS journals the rename itself), so there it is a no-op: the Action and the CLI run there too.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform !== 'win32') await fsyncPath(dir);
}

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
