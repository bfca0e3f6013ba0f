// The tree I/O worker's protocol: the requests the receiver sends it, its answers, and the write/copy steps.
import type { DirEntry, EntryKind, ReadOptions } from '../../core/tree-io.js';

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

/** A file read as the worker answers it: the bytes sit at `[off, off+len)` of the batch's buffer (-1: none). */
export interface ReadMeta {
  error?: string;
  size: number;
  mode: number;
  isFile: boolean;
  sha256: string;
  off: number;
  len: number;
}

export type Request =
  | { id: number; op: 'readdir'; paths: string[] }
  | { id: number; op: 'scan'; root: string; dirs: string[]; files: string[] }
  | { id: number; op: 'text'; paths: string[] }
  | ({ id: number; op: 'read'; paths: string[] } & ReadOptions)
  | { id: number; op: 'write'; root: string; steps: TreeWrite[]; buf: ArrayBuffer }
  | { id: number; op: 'copy'; live: string; steps: TreeCopy[] };

export type Response =
  | { id: number; op: 'readdir'; result: DirEntry[][] }
  | { id: number; op: 'scan'; result: ScanEntry[] }
  | { id: number; op: 'text'; result: string[] }
  | { id: number; op: 'read'; result: ReadMeta[]; buf: ArrayBuffer }
  | { id: number; op: 'write' | 'copy'; failed: TreeWriteFailure | null };

/** What the worker is started with. */
export interface WorkerData {
  /** The process umask, read once by the main thread at start (reading it is racy while threads create files). */
  umask: number;
}
