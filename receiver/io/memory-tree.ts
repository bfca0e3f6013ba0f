// A read-only file tree held in memory (a bundle just unpacked), readable like the disk by discovery and the check.
//
// Why: the receiver re-validates every bundle it unpacks. Reading the files back from staging cost a deploy a
// second pass over the disk, and could only start once every write had landed; from memory the check runs while
// the I/O worker is still writing and flushing staging.
import path from 'node:path';
import type { DirEntry, FileKind, FileRead, ReadOptions, TreeReader } from '../../core/tree-io.js';

export interface MemoryFile {
  bytes: Buffer;
  /** 0o644 or 0o755. */
  mode: number;
  sha256: string;
}

const S_IFREG = 0o100000;

export class MemoryTree implements TreeReader {
  private readonly files = new Map<string, MemoryFile>();
  private readonly listings = new Map<string, DirEntry[]>();
  private readonly root: string;

  /** `files` and `dirs` are relative to `root`, POSIX; every folder above a file is implied. */
  constructor(root: string, files: ReadonlyMap<string, MemoryFile>, dirs: Iterable<string> = []) {
    this.root = path.resolve(root);
    this.listings.set(this.root, []);
    for (const d of dirs) this.addDir(d);
    for (const [rel, f] of files) {
      this.files.set(this.abs(rel), f);
      this.add(path.posix.dirname(rel), path.posix.basename(rel), 2);
    }
  }

  private abs(rel: string): string {
    return rel === '.' || rel === '' ? this.root : path.join(this.root, rel);
  }

  /** Lists `name` in folder `dir` (creating the folder, and its parents, on first sight). */
  private add(dir: string, name: string, kind: 1 | 2): void {
    const key = this.abs(dir);
    let list = this.listings.get(key);
    if (!list) {
      list = [];
      this.listings.set(key, list);
      if (dir !== '.') this.add(path.posix.dirname(dir), path.posix.basename(dir), 1);
    }
    list.push([name, kind]);
  }

  private addDir(rel: string): void {
    if (rel === '.' || rel === '' || this.listings.has(this.abs(rel))) return;
    this.listings.set(this.abs(rel), []);
    this.add(path.posix.dirname(rel), path.posix.basename(rel), 1);
  }

  async readdirs(dirs: string[]): Promise<DirEntry[][]> {
    return dirs.map((d) => [...(this.listings.get(path.resolve(d)) ?? [])]);
  }

  async readTexts(files: string[]): Promise<string[]> {
    return files.map((f) => this.files.get(path.resolve(f))?.bytes.toString('utf8') ?? '');
  }

  async readFiles(files: string[], opts: ReadOptions): Promise<FileRead[]> {
    return files.map((f): FileRead => {
      const file = this.files.get(path.resolve(f));
      if (!file) return { error: 'ENOENT', size: 0, mode: 0, isFile: false, sha256: '' };
      const size = file.bytes.length;
      return {
        size,
        mode: S_IFREG | file.mode,
        isFile: true,
        sha256: size <= opts.maxBytes || opts.hashLarge ? file.sha256 : '',
        ...(size <= opts.maxBytes ? { bytes: file.bytes } : {}),
      };
    });
  }

  /** Files and folders only: a tree from a bundle has nothing else. */
  readonly stat = (absPath: string): FileKind | undefined => {
    const abs = path.resolve(absPath);
    const file = this.files.get(abs);
    if (file) return { isFile: true, mode: S_IFREG | file.mode };
    return this.listings.has(abs) ? { isFile: false, mode: 0o040755 } : undefined;
  };

  async close(): Promise<void> {}
}
