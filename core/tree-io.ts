// Tree reads for discovery, the check and the pack: folder listings, texts and files (with sha256), by plain
// synchronous fs calls in this thread, on any OS the Action runs on (docs/decisions.md, "Performance layer").
//
// Why sync calls: tens of thousands of small files made per-file async calls (one thread-pool round trip each)
// the bottleneck. The Action and the CLI have nothing else to do meanwhile. The receiver, whose HTTP loop must
// not block, installs its worker-backed reader instead (receiver/io/tree-io-pool.ts, via useTreeReader).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

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
  /** A symlink in the file's place is an error (ELOOP), as the packer requires. */
  noFollow: boolean;
}

/** What reading a tree needs (discovery, the check, the pack): this thread's fs or the receiver's worker. */
export interface TreeReader {
  /** One listing per folder, [] when it cannot be read. */
  readdirs(dirs: string[]): Promise<DirEntry[][]>;
  /** UTF-8 text per file, '' when it cannot be read. */
  readTexts(files: string[]): Promise<string[]>;
  readFiles(files: string[], opts: ReadOptions): Promise<FileRead[]>;
  close(): Promise<void>;
  /** Told how many bytes of a read batch are garbage now (the receiver's garbage budget counts them). */
  released?: (bytes: number) => void;
}

/** The reader's old name, kept for the packer. */
export type TreeIO = TreeReader;

export function readdirsSync(paths: string[]): DirEntry[][] {
  return paths.map((p) => {
    try {
      return fs
        .readdirSync(p, { withFileTypes: true })
        .map((e): DirEntry => [e.name, e.isDirectory() ? 1 : e.isFile() ? 2 : 0]);
    } catch {
      return [];
    }
  });
}

export function readTextsSync(paths: string[]): string[] {
  return paths.map((p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  });
}

function loopError(p: string): NodeJS.ErrnoException {
  const e = new Error(`ELOOP: a symbolic link stands at ${p}`) as NodeJS.ErrnoException;
  e.code = 'ELOOP';
  return e;
}

/**
 * Reads each file whole (up to `maxBytes`) or hashes it in chunks. `noFollow` checks with lstat before opening,
 * not with O_NOFOLLOW, whose meaning differs across systems (and Windows lacks it): a repo being packed is the
 * user's own, so the gap between the two calls is not an attack surface.
 */
export function readFilesSync(paths: string[], opts: ReadOptions): FileRead[] {
  let scratch: Buffer | undefined;
  return paths.map((p): FileRead => {
    let fd = -1;
    try {
      if (opts.noFollow && fs.lstatSync(p).isSymbolicLink()) throw loopError(p);
      fd = fs.openSync(p, 'r');
      const st = fs.fstatSync(fd);
      const read: FileRead = { size: st.size, mode: st.mode, isFile: st.isFile(), sha256: '' };
      if (!read.isFile) return read;
      if (st.size > opts.maxBytes) {
        if (!opts.hashLarge) return read;
        // Stream it through the hash in chunks, with one scratch buffer per batch: the size is what was read.
        const h = createHash('sha256');
        const chunk = (scratch ??= Buffer.allocUnsafe(1024 * 1024));
        let size = 0;
        for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) {
          h.update(chunk.subarray(0, n));
        }
        return { ...read, size, sha256: h.digest('hex') };
      }
      const bytes = Buffer.allocUnsafe(st.size);
      let off = 0;
      for (let n; off < bytes.length && (n = fs.readSync(fd, bytes, off, bytes.length - off, off)) > 0;) {
        off += n;
      }
      // Truncated while we read: hash what is there.
      const data = off === bytes.length ? bytes : bytes.subarray(0, off);
      return {
        ...read,
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        bytes: data,
      };
    } catch (err) {
      return {
        error: (err as NodeJS.ErrnoException).code ?? 'error',
        size: 0,
        mode: 0,
        isFile: false,
        sha256: '',
      };
    } finally {
      if (fd !== -1) fs.closeSync(fd);
    }
  });
}

/** This thread's fs as a TreeReader. */
export function inProcessReader(): TreeReader {
  return {
    readdirs: async (paths) => readdirsSync(paths),
    readTexts: async (paths) => readTextsSync(paths),
    readFiles: async (paths, opts) => readFilesSync(paths, opts),
    close: async () => {},
  };
}

let openReader: () => TreeReader = inProcessReader;

/** Makes openTreeIO() hand out `open()`'s readers: the receiver installs its worker-backed one at start. */
export function useTreeReader(open: () => TreeReader): void {
  openReader = open;
}

/** A reader for one walk, check or pack; call `close()` when done. */
export function openTreeIO(): TreeReader {
  return openReader();
}
