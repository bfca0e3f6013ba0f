// The tree I/O worker's work: each request answered with synchronous syscalls (Linux: O_NOFOLLOW, O_DIRECTORY).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { readFilesSync, readTextsSync, readdirsSync } from '../../core/tree-io.js';
import { failpoint } from '../failpoint.js';
import type { ReadMeta, Request, Response, ScanEntry, TreeCopy, TreeWrite } from './protocol.js';

const c = fs.constants;

function failed(id: number, op: 'write' | 'copy', index: number, err: unknown): Response {
  const e = err as NodeJS.ErrnoException;
  return { id, op, failed: { index, code: e.code ?? 'error', message: e.message } };
}

/** Everything below `dirs` (and the `files`), hashed, without following links; depth first with our own stack. */
function scan(root: string, dirs: string[], files: string[]): ScanEntry[] {
  const result: ScanEntry[] = [];
  const chunk = Buffer.allocUnsafe(256 * 1024);
  const hashFile = (rel: string): ScanEntry => {
    let fd = -1;
    try {
      fd = fs.openSync(`${root}/${rel}`, c.O_RDONLY | c.O_NOFOLLOW);
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return [rel, 0, 0, 0, ''];
      const h = createHash('sha256');
      let size = 0;
      for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n)
        h.update(chunk.subarray(0, n));
      return [rel, 2, size, st.mode & 0o777, h.digest('hex')];
    } catch {
      return [rel, 0, 0, 0, ''];
    } finally {
      if (fd !== -1) fs.closeSync(fd);
    }
  };
  for (const f of files) result.push(hashFile(f));
  const stack = [...dirs];
  for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(`${root}/${rel}`, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of list) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        result.push([r, 1, 0, 0, '']);
        stack.push(r);
      } else if (e.isFile()) result.push(hashFile(r));
      else result.push([r, 0, 0, 0, '']);
    }
  }
  return result;
}

/** Creates folders and files (O_EXCL | O_NOFOLLOW) under `root`, in order, without fsync. */
function writeTree(id: number, root: string, steps: TreeWrite[], data: Uint8Array, umask: number): Response {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as TreeWrite;
    const p = `${root}/${step.rel}`;
    let fd = -1;
    try {
      // Umask must not decide who reads the skills. Where it clears none of the mode's bits (the usual 022),
      // creating with the mode is exact; otherwise chmod the descriptor we made, never a path.
      const exact = (umask & step.mode) === 0;
      if (step.len < 0) {
        fs.mkdirSync(p, step.mode);
        if (!exact) {
          fd = fs.openSync(p, c.O_RDONLY | c.O_DIRECTORY | c.O_NOFOLLOW);
          fs.fchmodSync(fd, step.mode);
        }
      } else {
        fd = fs.openSync(p, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, exact ? step.mode : 0o600);
        for (let off = 0; off < step.len;) off += fs.writeSync(fd, data, step.off + off, step.len - off);
        if (!exact) fs.fchmodSync(fd, step.mode);
      }
    } catch (err) {
      return failed(id, 'write', i, err);
    } finally {
      if (fd !== -1) fs.closeSync(fd);
    }
  }
  return { id, op: 'write', failed: null };
}

const lstatOrNull = (p: string) => {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
};

/** Copies files into the live tree at `live`, each by temp name and rename, in order, without fsync. */
function copyInto(id: number, live: string, steps: TreeCopy[]): Response {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as TreeCopy;
    const dst = `${live}/${step.rel}`;
    try {
      // Clear the way: a non-folder where a parent folder goes, or a folder where the file goes.
      const parts = step.rel.split('/');
      let blocked = false;
      for (let k = 1; k < parts.length && !blocked; k++) {
        const p = `${live}/${parts.slice(0, k).join('/')}`;
        const st = lstatOrNull(p);
        if (!st) blocked = true;
        else if (!st.isDirectory()) {
          fs.rmSync(p, { force: true });
          blocked = true;
        }
      }
      if (lstatOrNull(dst)?.isDirectory()) fs.rmSync(dst, { recursive: true, force: true });
      fs.mkdirSync(dst.slice(0, dst.lastIndexOf('/')), { recursive: true });
      try {
        fs.copyFileSync(step.src, step.tmp);
        fs.chmodSync(step.tmp, step.mode);
        fs.renameSync(step.tmp, dst);
      } catch (err) {
        fs.rmSync(step.tmp, { force: true });
        throw err;
      }
    } catch (err) {
      return failed(id, 'copy', i, err);
    }
    failpoint('mid-journal');
  }
  return { id, op: 'copy', failed: null };
}

/** Reads as core does, the bytes gathered into one buffer the worker transfers (no copy back, no per-file message). */
function read(req: Extract<Request, { op: 'read' }>): Response {
  const reads = readFilesSync(req.paths, req);
  const total = reads.reduce((n, r) => n + (r.bytes?.length ?? 0), 0);
  const buf = new ArrayBuffer(total);
  const view = new Uint8Array(buf);
  let at = 0;
  const result = reads.map(({ bytes, ...meta }): ReadMeta => {
    if (!bytes) return { ...meta, off: -1, len: 0 };
    view.set(bytes, at);
    at += bytes.length;
    return { ...meta, off: at - bytes.length, len: bytes.length };
  });
  return { id: req.id, op: 'read', result, buf };
}

/** Answers one request. */
export function serve(req: Request, umask: number): Response {
  switch (req.op) {
    case 'readdir':
      return { id: req.id, op: 'readdir', result: readdirsSync(req.paths) };
    case 'scan':
      return { id: req.id, op: 'scan', result: scan(req.root, req.dirs, req.files) };
    case 'text':
      return { id: req.id, op: 'text', result: readTextsSync(req.paths) };
    case 'read':
      return read(req);
    case 'write':
      return writeTree(req.id, req.root, req.steps, new Uint8Array(req.buf), umask);
    case 'copy':
      return copyInto(req.id, req.live, req.steps);
  }
}
