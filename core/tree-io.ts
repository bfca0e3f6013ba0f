// Batched tree I/O: directory listings, file reads (with sha256) and new-tree writes, by a worker's sync syscalls.
//
// Why: tens of thousands of small files made per-file async fs calls (one thread-pool round trip each) the
// bottleneck, several times slower than plain sync syscalls. Sync I/O on the main thread would block the
// receiver's HTTP loop, so a worker does it in batches: the caller stays async, hashing runs on the second core,
// and the main thread scans and validates one batch while the worker reads the next.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BUDGET_BYTES } from './memory.js';

/** 0 = other (symlink, FIFO, …), 1 = directory, 2 = regular file (from the directory entry, not followed). */
export type EntryKind = 0 | 1 | 2;
export type DirEntry = [name: string, kind: EntryKind];

export interface FileRead {
  /** errno code when the file could not be opened or read. */
  error?: string;
  size: number;
  /** Raw st_mode. */
  mode: number;
  isFile: boolean;
  sha256: string;
  /** The content; undefined when the file is over the batch's `maxBytes` (then it is only hashed, if asked). */
  bytes?: Buffer;
}

export interface ReadOptions {
  /** Files larger than this are not returned whole. */
  maxBytes: number;
  /** Hash files over `maxBytes` by reading them in chunks (else their sha256 is ''). */
  hashLarge: boolean;
  /** Open with O_NOFOLLOW: a final symlink is an error (ELOOP), as the packer requires. */
  noFollow: boolean;
}

/** One step of a tree write: a folder (`len` -1) or a new file whose bytes are `data[off, off+len)`. */
export interface TreeWrite {
  rel: string;
  off: number;
  len: number;
  mode: number;
}

/**
 * One file of an in-place update: `live/rel` becomes a copy of `src` with `mode`, written as `tmp` (beside it)
 * and renamed over it, so a reader never sees a torn file. Whatever stands in the way (a folder where the file
 * goes, a file where a parent folder goes) is removed first.
 */
export interface TreeCopy {
  rel: string;
  src: string;
  tmp: string;
  mode: number;
}

/** The first step of a tree write that failed; the steps before it were done, the ones after it were not. */
export interface TreeWriteFailure {
  index: number;
  code: string;
  message: string;
}

/** A failed step as an Error that keeps its errno code (so a full disk stays ENOSPC for the caller). */
export function failureError(f: TreeWriteFailure, what: string): NodeJS.ErrnoException {
  const err = new Error(`${what}: ${f.message}`) as NodeJS.ErrnoException;
  err.code = f.code;
  return err;
}

/**
 * An entry a scan found, relative to the scan's root: a folder (kind 1), a regular file (kind 2) with its size,
 * permission bits and sha256, or anything else (kind 0, also a file that could not be read).
 */
export type ScanEntry = [rel: string, kind: EntryKind, size: number, mode: number, sha256: string];

export interface TreeIO {
  /** One listing per folder, [] when it cannot be read. */
  readdirs(dirs: string[]): Promise<DirEntry[][]>;
  /**
   * Everything below each of `dirs` (relative to `root`), recursively and without following links, with every
   * regular file hashed; `files` (relative to `root`) are hashed too. One request for a whole subtree.
   */
  scan(root: string, dirs: string[], files: string[]): Promise<ScanEntry[]>;
  /** UTF-8 text per file, '' when it cannot be read. */
  readTexts(files: string[]): Promise<string[]>;
  readFiles(files: string[], opts: ReadOptions): Promise<FileRead[]>;
  /**
   * Creates folders (mode 0755) and files (O_EXCL | O_NOFOLLOW, then fchmod) under `root`, in order, without
   * fsync: the caller makes the whole tree durable at once. `data` is handed over (transferred), not copied.
   */
  writeTree(root: string, steps: TreeWrite[], data: Uint8Array): Promise<TreeWriteFailure | null>;
  /**
   * Copies files into an existing tree at `live`, in order, without fsync. `killAfter` (crash tests only) is the
   * index of the step after which the process is SIGKILLed, as a power cut would stop it.
   */
  copyInto(live: string, steps: TreeCopy[], killAfter?: number): Promise<TreeWriteFailure | null>;
  close(): Promise<void>;
}

/** What a lookup of one path tells: a regular file or not, and its raw st_mode. */
export interface FileKind {
  isFile: boolean;
  mode: number;
}

/** What reading a tree needs (discovery and the check): the disk worker, or a tree held in memory. */
export type TreeReader = Pick<TreeIO, 'readdirs' | 'readTexts' | 'readFiles' | 'close'> & {
  /** A synchronous lookup, for trees that answer without I/O (the disk worker has none). */
  stat?: (absPath: string) => FileKind | undefined;
};

// ---- The server: plain functions with no imports of their own, so the worker can run their source as is. ----

interface ReadMeta {
  error?: string;
  size: number;
  mode: number;
  isFile: boolean;
  sha256: string;
  /** Offset of the bytes in the batch buffer, or -1 when not included. */
  off: number;
  len: number;
}

type Request =
  | { id: number; op: 'readdir'; paths: string[] }
  | { id: number; op: 'scan'; root: string; dirs: string[]; files: string[] }
  | { id: number; op: 'text'; paths: string[] }
  | ({ id: number; op: 'read'; paths: string[] } & ReadOptions)
  | { id: number; op: 'write'; root: string; steps: TreeWrite[]; buf: ArrayBuffer; umask: number }
  | { id: number; op: 'copy'; live: string; steps: TreeCopy[]; killAfter: number };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Response =
  | { id: number; op: 'readdir'; result: DirEntry[][] }
  | { id: number; op: 'scan'; result: ScanEntry[] }
  | { id: number; op: 'text'; result: string[] }
  | { id: number; op: 'read'; result: ReadMeta[]; buf: ArrayBuffer }
  | { id: number; op: 'write' | 'copy'; failed: TreeWriteFailure | null };

/**
 * Answers one request with sync syscalls. `fsm` and `hash` are passed in (not imported) because this function's
 * source is also the worker's code: it must not reference anything outside itself.
 */
function serve(fsm: typeof fs, hash: typeof createHash, req: Request): Response {
  if (req.op === 'readdir') {
    const result = req.paths.map((p) => {
      try {
        return fsm
          .readdirSync(p, { withFileTypes: true })
          .map((e): DirEntry => [e.name, e.isDirectory() ? 1 : e.isFile() ? 2 : 0]);
      } catch {
        return [];
      }
    });
    return { id: req.id, op: 'readdir', result };
  }
  if (req.op === 'scan') {
    const c = fsm.constants;
    const result: ScanEntry[] = [];
    const chunk = Buffer.allocUnsafe(256 * 1024);
    const hashFile = (rel: string): ScanEntry => {
      let fd = -1;
      try {
        fd = fsm.openSync(`${req.root}/${rel}`, c.O_RDONLY | c.O_NOFOLLOW);
        const st = fsm.fstatSync(fd);
        if (!st.isFile()) return [rel, 0, 0, 0, ''];
        const h = hash('sha256');
        let size = 0;
        for (let n; (n = fsm.readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n)
          h.update(chunk.subarray(0, n));
        return [rel, 2, size, st.mode & 0o777, h.digest('hex')];
      } catch {
        return [rel, 0, 0, 0, ''];
      } finally {
        if (fd !== -1) fsm.closeSync(fd);
      }
    };
    for (const f of req.files) result.push(hashFile(f));
    // Depth first with a stack of our own: a tree of any depth is walked without recursion.
    const stack = [...req.dirs];
    for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
      let list: fs.Dirent[];
      try {
        list = fsm.readdirSync(`${req.root}/${rel}`, { withFileTypes: true });
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
    return { id: req.id, op: 'scan', result };
  }
  if (req.op === 'text') {
    const result = req.paths.map((p) => {
      try {
        return fsm.readFileSync(p, 'utf8');
      } catch {
        return '';
      }
    });
    return { id: req.id, op: 'text', result };
  }
  if (req.op === 'write') {
    const c = fsm.constants;
    const data = new Uint8Array(req.buf);
    for (let i = 0; i < req.steps.length; i++) {
      const step = req.steps[i] as TreeWrite;
      const p = `${req.root}/${step.rel}`;
      let fd = -1;
      try {
        // Umask must not decide who reads the skills. Where it clears none of the mode's bits (the usual 022),
        // creating with the mode is exact; otherwise chmod the descriptor we made, never a path: a third of the
        // syscalls, and of the time, went to those chmods.
        const exact = (req.umask & step.mode) === 0;
        if (step.len < 0) {
          fsm.mkdirSync(p, step.mode);
          if (!exact) {
            fd = fsm.openSync(p, c.O_RDONLY | c.O_DIRECTORY | c.O_NOFOLLOW);
            fsm.fchmodSync(fd, step.mode);
          }
        } else {
          fd = fsm.openSync(p, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, exact ? step.mode : 0o600);
          for (let off = 0; off < step.len;) off += fsm.writeSync(fd, data, step.off + off, step.len - off);
          if (!exact) fsm.fchmodSync(fd, step.mode);
        }
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { id: req.id, op: 'write', failed: { index: i, code: e.code ?? 'error', message: e.message } };
      } finally {
        if (fd !== -1) fsm.closeSync(fd);
      }
    }
    return { id: req.id, op: 'write', failed: null };
  }
  if (req.op === 'copy') {
    const lstatOrNull = (p: string) => {
      try {
        return fsm.lstatSync(p);
      } catch {
        return null;
      }
    };
    for (let i = 0; i < req.steps.length; i++) {
      const step = req.steps[i] as TreeCopy;
      const dst = `${req.live}/${step.rel}`;
      try {
        // Clear the way: a non-folder where a parent folder goes, or a folder where the file goes.
        const parts = step.rel.split('/');
        let blocked = false;
        for (let k = 1; k < parts.length && !blocked; k++) {
          const p = `${req.live}/${parts.slice(0, k).join('/')}`;
          const st = lstatOrNull(p);
          if (!st) blocked = true;
          else if (!st.isDirectory()) {
            fsm.rmSync(p, { force: true });
            blocked = true;
          }
        }
        if (lstatOrNull(dst)?.isDirectory()) fsm.rmSync(dst, { recursive: true, force: true });
        fsm.mkdirSync(dst.slice(0, dst.lastIndexOf('/')), { recursive: true });
        try {
          fsm.copyFileSync(step.src, step.tmp);
          fsm.chmodSync(step.tmp, step.mode);
          fsm.renameSync(step.tmp, dst);
        } catch (err) {
          fsm.rmSync(step.tmp, { force: true });
          throw err;
        }
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { id: req.id, op: 'copy', failed: { index: i, code: e.code ?? 'error', message: e.message } };
      }
      if (i === req.killAfter) process.kill(process.pid, 'SIGKILL');
    }
    return { id: req.id, op: 'copy', failed: null };
  }
  const flags = fsm.constants.O_RDONLY | (req.noFollow ? fsm.constants.O_NOFOLLOW : 0);
  const parts: Uint8Array[] = [];
  let total = 0;
  let scratch: Buffer | undefined;
  const result = req.paths.map((p): ReadMeta => {
    let fd = -1;
    try {
      fd = fsm.openSync(p, flags);
      const st = fsm.fstatSync(fd);
      const meta: ReadMeta = {
        size: st.size,
        mode: st.mode,
        isFile: st.isFile(),
        sha256: '',
        off: -1,
        len: 0,
      };
      if (!meta.isFile) return meta;
      if (st.size > req.maxBytes) {
        if (!req.hashLarge) return meta;
        // Stream it through the hash in 1 MiB chunks: the size is what was read, as with a stream.
        const h = hash('sha256');
        // One scratch buffer per request: hashing a whole tree must not leave a dead buffer per file.
        const chunk = (scratch ??= Buffer.allocUnsafe(1024 * 1024));
        let size = 0;
        for (let n; (n = fsm.readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) {
          h.update(chunk.subarray(0, n));
        }
        meta.size = size;
        meta.sha256 = h.digest('hex');
        return meta;
      }
      const bytes = Buffer.allocUnsafe(st.size);
      let off = 0;
      for (let n; off < bytes.length && (n = fsm.readSync(fd, bytes, off, bytes.length - off, off)) > 0;) {
        off += n;
      }
      // Truncated while we read: hash what is there.
      const data = off === bytes.length ? bytes : bytes.subarray(0, off);
      meta.size = data.length;
      meta.sha256 = hash('sha256').update(data).digest('hex');
      meta.off = total;
      meta.len = data.length;
      parts.push(data);
      total += data.length;
      return meta;
    } catch (err) {
      return {
        error: (err as NodeJS.ErrnoException).code ?? 'error',
        size: 0,
        mode: 0,
        isFile: false,
        sha256: '',
        off: -1,
        len: 0,
      };
    } finally {
      if (fd !== -1) fsm.closeSync(fd);
    }
  });
  // One transferable buffer per batch: no copy back to the caller, no per-file message.
  const buf = new ArrayBuffer(total);
  const view = new Uint8Array(buf);
  let at = 0;
  for (const part of parts) {
    view.set(part, at);
    at += part.length;
  }
  return { id: req.id, op: 'read', result, buf };
}

// The worker keeps its own garbage budget (see core/memory.ts): \`gc\` exists when the receiver allowed collections.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const serve = ${serve.toString()};
const collect = typeof gc === 'function' ? gc : null;
let pending = 0;
parentPort.on('message', (req) => {
  const res = serve(fs, createHash, req);
  parentPort.postMessage(res, res.op === 'read' ? [res.buf] : []);
  if (!collect) return;
  if (req.op === 'write') pending += req.buf.byteLength;
  if (req.op === 'read') for (const r of res.result) pending += r.size;
  if (pending >= ${BUDGET_BYTES}) {
    pending = 0;
    collect({ type: 'minor' });
  }
});
`;

function toReads(res: Extract<Response, { op: 'read' }>): FileRead[] {
  return res.result.map(({ off, len, ...meta }) =>
    off < 0 ? meta : { ...meta, bytes: Buffer.from(res.buf, off, len) },
  );
}

/** The process umask now (reading it is a set-and-restore in Node; it is process-wide, so read it here). */
function currentUmask(): number {
  return process.umask();
}

/** The bytes as an ArrayBuffer of their own, so it can be transferred to the worker. */
function ownBuffer(data: Uint8Array): ArrayBuffer {
  if (
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    data.buffer instanceof ArrayBuffer
  )
    return data.buffer;
  return data.slice().buffer;
}

/** I/O in this thread (sync): for when no worker can be started. */
function inProcessIO(): TreeIO {
  let id = 0;
  const call = (req: Request) => serve(fs, createHash, req);
  return {
    readdirs: async (paths) => (call({ id: id++, op: 'readdir', paths }) as { result: DirEntry[][] }).result,
    scan: async (root, dirs, files) =>
      (call({ id: id++, op: 'scan', root, dirs, files }) as { result: ScanEntry[] }).result,
    readTexts: async (paths) => (call({ id: id++, op: 'text', paths }) as { result: string[] }).result,
    readFiles: async (paths, opts) =>
      toReads(call({ id: id++, op: 'read', paths, ...opts }) as Extract<Response, { op: 'read' }>),
    writeTree: async (root, steps, data) =>
      (
        call({ id: id++, op: 'write', root, steps, buf: ownBuffer(data), umask: currentUmask() }) as {
          failed: TreeWriteFailure | null;
        }
      ).failed,
    copyInto: async (live, steps, killAfter = -1) =>
      (call({ id: id++, op: 'copy', live, steps, killAfter }) as { failed: TreeWriteFailure | null }).failed,
    close: async () => {},
  };
}

/**
 * Workers that run requests side by side: one per core, two at most. On this kind of volume creating a file is
 * mostly a wait in the filesystem, not CPU: two threads unpacked a 130-skill bundle in about 40% less time than
 * one, and three or more gave nothing on two cores.
 */
export const TREE_IO_LANES = Math.max(1, Math.min(2, availableParallelism()));

/**
 * Gives each key (a skill) a lane, round robin in order of first appearance. Work on one lane runs in order, so
 * everything of one skill (its folders, then its files) goes on the same lane.
 */
export function laneBySkill(lanes: number): (skill: string) => number {
  const laneOf = new Map<string, number>();
  return (skill) => {
    let lane = laneOf.get(skill);
    if (lane === undefined) laneOf.set(skill, (lane = laneOf.size % lanes));
    return lane;
  };
}

/** The process's I/O workers, one per lane, each shared by every handle (requests are matched by id). */
const shared: (TreeIO | undefined)[] = [];

/** The handle on one lane's worker, started on first use and kept (see openTreeIO). */
function openLane(lane: number): TreeIO {
  let io = shared[lane];
  if (!io) {
    const started = startWorker(() => {
      if (shared[lane] === started) shared[lane] = undefined;
    });
    if (!started) return inProcessIO();
    io = shared[lane] = started;
  }
  return { ...io, close: async () => {} };
}

/**
 * A handle on the I/O worker, started on first use (about 30 ms, overlapping whatever the caller does next) and
 * then kept, idle and unref'd, for the next caller: a receiver checks and hashes a tree on every deploy, and a
 * fresh worker each time cost its start-up and a new heap. Call `close()` when done (it leaves the worker up).
 */
export function openTreeIO(): TreeIO {
  return openLane(0);
}

/**
 * One handle per lane (the first is openTreeIO's), for work that splits: a new tree's skills, a whole tree's
 * hashes. Requests on one lane run in order; across lanes there is no order, so a caller puts on one lane
 * whatever must happen in sequence (a folder, then the files in it).
 */
export function openTreeLanes(): TreeIO[] {
  return Array.from({ length: TREE_IO_LANES }, (_, lane) => openLane(lane));
}

/** Starts a worker; `onDead` runs once it fails or exits, so the next openTreeIO() starts a fresh one. */
function startWorker(onDead: () => void): TreeIO | null {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch {
    return null;
  }
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: Response) => void; reject: (e: unknown) => void }>();
  let failure: Error | undefined;
  const failAll = (err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
    onDead();
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (res: Response) => {
    const p = pending.get(res.id);
    pending.delete(res.id);
    if (pending.size === 0) worker.unref();
    p?.resolve(res);
  });
  worker.on('error', failAll);
  worker.on('exit', () => failAll(failure ?? new Error('tree I/O worker exited')));
  // Keep the process alive only while a request is pending (a caller that forgets close() still exits). After
  // the listeners: adding a 'message' listener refs the worker's port again, and a worker that never got a
  // request then kept the process from exiting.
  worker.unref();
  const call = (req: DistributiveOmit<Request, 'id'>): Promise<Response> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id }, req.op === 'write' ? [req.buf] : []);
    });
  };
  return {
    readdirs: async (paths) =>
      paths.length ? ((await call({ op: 'readdir', paths })) as { result: DirEntry[][] }).result : [],
    scan: async (root, dirs, files) =>
      dirs.length || files.length
        ? ((await call({ op: 'scan', root, dirs, files })) as { result: ScanEntry[] }).result
        : [],
    readTexts: async (paths) =>
      paths.length ? ((await call({ op: 'text', paths })) as { result: string[] }).result : [],
    readFiles: async (paths, opts) =>
      paths.length
        ? toReads((await call({ op: 'read', paths, ...opts })) as Extract<Response, { op: 'read' }>)
        : [],
    writeTree: async (root, steps, data) =>
      steps.length
        ? (
            (await call({ op: 'write', root, steps, buf: ownBuffer(data), umask: currentUmask() })) as {
              failed: TreeWriteFailure | null;
            }
          ).failed
        : null,
    copyInto: async (live, steps, killAfter = -1) =>
      steps.length
        ? ((await call({ op: 'copy', live, steps, killAfter })) as { failed: TreeWriteFailure | null }).failed
        : null,
    close: async () => {
      failure ??= new Error('tree I/O closed');
      await worker.terminate();
    },
  };
}
