// Making a freshly written tree durable: one syncfs(2) of its file system, through `sync -f` (Node has no
// binding for it), else an fsync per file and per folder. Linux only, as the receiver is.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fsyncDir, fsyncPath, mapLimit } from '../../core/fsutil.js';

function flushFailed(text: string): NodeJS.ErrnoException {
  const e = new Error(`sync -f failed: ${text}`) as NodeJS.ErrnoException;
  e.code = 'EIO';
  return e;
}

/**
 * Flushes the whole file system that holds `dir`. Resolves false when `sync -f` cannot be run here (not Linux,
 * no `sync`): the caller then fsyncs file by file. A failed flush (an I/O error reported by the kernel) rejects.
 */
export function syncFileSystem(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    // `sync` needs nothing of the receiver's environment, which holds its secrets.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    execFile('sync', ['-f', dir], { timeout: 120_000, env }, (err, _stdout, stderr) => {
      if (!err) return resolve(true);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(false);
      reject(flushFailed(String(stderr).trim() || err.message));
    });
  });
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
