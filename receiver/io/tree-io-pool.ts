// The receiver's tree I/O: worker threads (receiver/io/tree-io-worker.ts) doing sync syscalls in batches.
//
// Why: sync I/O on the main thread would block the receiver's HTTP loop, and per-file async calls cost a
// thread-pool round trip each. A worker does the batches: the caller stays async, hashing runs on another core,
// and the main thread validates one batch while the worker reads the next (docs/decisions.md).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DirEntry, FileRead, ReadOptions, TreeReader } from '../../core/tree-io.js';
import { released } from './memory.js';
import type {
  Request,
  Response,
  ScanEntry,
  TreeCopy,
  TreeWrite,
  TreeWriteFailure,
  WorkerData,
} from './protocol.js';

export interface TreeIO extends TreeReader {
  /**
   * Everything below each of `dirs` (relative to `root`), recursively and without following links, with every
   * regular file hashed; `files` (relative to `root`) are hashed too. One request for a whole subtree.
   */
  scan(root: string, dirs: string[], files: string[]): Promise<ScanEntry[]>;
  /**
   * Creates folders (mode 0755) and files (O_EXCL | O_NOFOLLOW, then fchmod) under `root`, in order, without
   * fsync: the caller makes the whole tree durable at once. `data` is handed over (transferred), not copied.
   */
  writeTree(root: string, steps: TreeWrite[], data: Uint8Array): Promise<TreeWriteFailure | null>;
  /** Copies files into an existing tree at `live`, in order, without fsync. */
  copyInto(live: string, steps: TreeCopy[]): Promise<TreeWriteFailure | null>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The worker's module: its compiled file beside this one. Under vitest this module runs from its .ts source,
 * which Node cannot start as a worker, so the worker runs from lib/ (the test setup rebuilds it when sources change).
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../lib/receiver/io/tree-io-worker.js', import.meta.url)
  : new URL('./tree-io-worker.js', import.meta.url);

/** Read once, at start: reading the umask is a set-and-restore, racy once workers create files (DEP0139). */
const UMASK = process.umask();

/**
 * Workers that run requests side by side: one per core, two at most (the A/B is in docs/decisions.md).
 * SKILL_SYNC_IO_LANES=1 forces one, for that measurement.
 */
export const TREE_IO_LANES = Math.max(
  1,
  Math.min(Number(process.env.SKILL_SYNC_IO_LANES) || 2, availableParallelism()),
);

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

/** The handle on one lane's worker, started on first use and kept, idle and unref'd, for the next caller. */
function openLane(lane: number): TreeIO {
  let io = shared[lane];
  if (!io) {
    const started = startWorker(() => {
      if (shared[lane] === started) shared[lane] = undefined;
    });
    io = shared[lane] = started;
  }
  return { ...io, close: async () => {} };
}

/** A handle on the first lane's worker; `close()` leaves the worker up for the next caller. */
export function openTreeIO(): TreeIO {
  return openLane(0);
}

/**
 * One handle per lane, for work that splits: a new tree's skills, a whole tree's hashes. Requests on one lane
 * run in order; across lanes there is no order, so a caller puts on one lane whatever must happen in sequence.
 */
export function openTreeLanes(): TreeIO[] {
  return Array.from({ length: TREE_IO_LANES }, (_, lane) => openLane(lane));
}

function toReads(res: Extract<Response, { op: 'read' }>): FileRead[] {
  return res.result.map(({ off, len, ...meta }) =>
    off < 0 ? meta : { ...meta, bytes: Buffer.from(res.buf, off, len) },
  );
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

/** Starts a worker; `onDead` runs once it fails or exits, so the next caller starts a fresh one. */
function startWorker(onDead: () => void): TreeIO {
  const worker = new Worker(WORKER_URL, { workerData: { umask: UMASK } satisfies WorkerData });
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
  // Keep the process alive only while a request is pending. After the listeners: adding a 'message' listener
  // refs the worker's port again, and a worker that never got a request then kept the process from exiting.
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
  const done = (r: Response) => (r as { failed: TreeWriteFailure | null }).failed;
  return {
    readdirs: async (paths) =>
      paths.length ? ((await call({ op: 'readdir', paths })) as { result: DirEntry[][] }).result : [],
    scan: async (root, dirs, files) =>
      dirs.length || files.length
        ? ((await call({ op: 'scan', root, dirs, files })) as { result: ScanEntry[] }).result
        : [],
    readTexts: async (paths) =>
      paths.length ? ((await call({ op: 'text', paths })) as { result: string[] }).result : [],
    readFiles: async (paths: string[], opts: ReadOptions) =>
      paths.length
        ? toReads((await call({ op: 'read', paths, ...opts })) as Extract<Response, { op: 'read' }>)
        : [],
    writeTree: async (root, steps, data) =>
      steps.length ? done(await call({ op: 'write', root, steps, buf: ownBuffer(data) })) : null,
    copyInto: async (live, steps) => (steps.length ? done(await call({ op: 'copy', live, steps })) : null),
    released,
    close: async () => {
      failure ??= new Error('tree I/O closed');
      await worker.terminate();
    },
  };
}
