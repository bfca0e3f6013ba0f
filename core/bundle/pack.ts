// Deterministic bundle packer: the same skill tree gives the same .tar.gz bytes on every run.
// Fixed choices: entries sorted bytewise, mtime 2000-01-01, uid/gid 0, no user names, modes
// 0644/0755, gzip level 6 with header mtime 0 and OS byte 255 ("unknown").
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, constants, createWriteStream, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { fingerprint } from '../digest.js';
import { fsyncDir, fsyncPath, tempName } from '../fsutil.js';
import type { BundleManifest } from '../manifest.js';
import type { Skill } from '../skill.js';
import { isSafeRelativePath, isSafeSegment } from './entry-path.js';
import { BundleError } from './errors.js';
import { MANIFEST_FILE, buildManifest, canonicalJson, compareBytes } from './manifest.js';
import { ZERO_BLOCK, encodeEntry, padding } from './tar-header.js';

export const GZIP_LEVEL = 6;
const GZIP_OS_UNKNOWN = 255;
/** Small writes are batched: one zlib call per 64 KiB instead of one per 512-byte header. */
const BATCH_BYTES = 64 * 1024;
/** Files up to this size are read in one call; larger ones are streamed. */
const READ_WHOLE_BYTES = 1024 * 1024;

export interface PackResult {
  sha256: string;
  size: number;
  manifest: BundleManifest;
}

type PackEntry =
  | { path: string; kind: 'dir' }
  | { path: string; kind: 'file'; source: string; size: number; sha256: string; mode: number };

/** zlib's gzip header carries the build's OS byte; pin it so the bytes do not depend on the platform. */
class GzipHeaderPin extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.size <= 9 && this.size + chunk.length > 9) {
      chunk = Buffer.from(chunk);
      chunk[9 - this.size] = GZIP_OS_UNKNOWN;
    }
    this.size += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
}

class BatchWriter {
  private parts: Buffer[] = [];
  private fill = 0;
  constructor(private readonly gzip: Gzip) {}

  async put(buf: Buffer): Promise<void> {
    this.parts.push(buf);
    this.fill += buf.length;
    if (this.fill >= BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.fill);
    this.parts = [];
    this.fill = 0;
    if (!this.gzip.write(data)) await once(this.gzip, 'drain');
  }
}

function planEntries(root: string, skills: Skill[]): PackEntry[] {
  const entries = new Map<string, PackEntry>();
  const addDir = (p: string) => entries.has(p) || entries.set(p, { path: p, kind: 'dir' });
  addDir('skills');
  for (const skill of skills) {
    if (!isSafeSegment(skill.name)) {
      throw new BundleError('bad-name', `skill name ${JSON.stringify(skill.name)} cannot be a folder name`);
    }
    if (fingerprint(skill.files) !== skill.fingerprint) {
      throw new BundleError(
        'changed-since-check',
        `skill '${skill.name}': fingerprint does not match its files`,
      );
    }
    const base = `skills/${skill.name}`;
    addDir(base);
    for (const f of skill.files) {
      if (!isSafeRelativePath(f.path))
        throw new BundleError('bad-name', `bad file path ${JSON.stringify(f.path)}`);
      const segments = f.path.split('/');
      for (let i = 1; i < segments.length; i++) addDir(`${base}/${segments.slice(0, i).join('/')}`);
      entries.set(`${base}/${f.path}`, {
        path: `${base}/${f.path}`,
        kind: 'file',
        source: path.join(root, skill.path, ...segments),
        size: f.size,
        sha256: f.sha256,
        mode: f.mode & 0o100 ? 0o755 : 0o644,
      });
    }
  }
  return [...entries.values()].sort((a, b) => compareBytes(a.path, b.path));
}

type FileEntry = Extract<PackEntry, { kind: 'file' }>;

const changed = (e: FileEntry, why: string) =>
  new BundleError('changed-since-check', `${e.path} changed since it was checked (${why})`);

/** Opens a source file without following a final symlink and checks it is still the file we checked. */
async function openSource(e: FileEntry): Promise<FileHandle> {
  const fh = await open(e.source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw changed(e, 'not a regular file');
    if ((st.mode & 0o100 ? 0o755 : 0o644) !== e.mode) throw changed(e, 'mode');
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * Reads a small source file whole. Synchronous on purpose: the packer runs in the CLI or Action
 * with nothing else on the event loop, and direct syscalls are several times faster here than
 * promise-based file handles for thousands of small files.
 */
function readSmall(e: FileEntry): Buffer {
  const fd = openSync(e.source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw changed(e, 'not a regular file');
    if ((st.mode & 0o100 ? 0o755 : 0o644) !== e.mode) throw changed(e, 'mode');
    // One byte more than expected reveals a file that grew since it was checked.
    const buf = Buffer.allocUnsafe(e.size + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Copies one source file into the tar, re-hashing it: a file that changed since checking aborts the pack. */
async function putFile(w: BatchWriter, e: FileEntry): Promise<void> {
  const hash = createHash('sha256');
  let seen = 0;
  if (e.size <= READ_WHOLE_BYTES) {
    const data = readSmall(e);
    seen = data.length;
    hash.update(data);
    if (seen === e.size) {
      await w.put(encodeEntry({ path: e.path, type: '0', size: e.size, mode: e.mode }));
      await w.put(data);
    }
  } else {
    const fh = await openSource(e);
    try {
      await w.put(encodeEntry({ path: e.path, type: '0', size: e.size, mode: e.mode }));
      for await (const chunk of fh.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) {
        const buf = chunk as Buffer;
        seen += buf.length;
        hash.update(buf);
        if (seen > e.size) break;
        await w.put(buf);
      }
    } finally {
      await fh.close();
    }
  }
  if (seen !== e.size) throw changed(e, 'size');
  if (hash.digest('hex') !== e.sha256) throw changed(e, 'sha256');
  const pad = padding(e.size);
  if (pad) await w.put(Buffer.alloc(pad));
}

/**
 * Packs `skills` (as returned by checkRepo for `root`) into the gzip file `out`, written to a temp
 * name and renamed into place so a failed pack leaves nothing behind.
 */
export async function packBundle(root: string, skills: Skill[], out: string): Promise<PackResult> {
  const manifest = buildManifest(skills);
  const entries = planEntries(root, skills);
  const tmp = tempName(path.resolve(out));
  const gzip = createGzip({ level: GZIP_LEVEL, memLevel: 8, windowBits: 15 });
  const pin = new GzipHeaderPin();
  const done = pipeline(gzip, pin, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
  // Surface a write failure (disk full) while we are still producing, not only at the end.
  let failed: unknown = null;
  done.catch((err: unknown) => (failed = err));
  try {
    const w = new BatchWriter(gzip);
    const manifestBytes = Buffer.from(canonicalJson(manifest), 'utf8');
    await w.put(encodeEntry({ path: MANIFEST_FILE, type: '0', size: manifestBytes.length, mode: 0o644 }));
    await w.put(manifestBytes);
    await w.put(Buffer.alloc(padding(manifestBytes.length)));
    for (const e of entries) {
      if (failed) throw failed;
      if (e.kind === 'dir') await w.put(encodeEntry({ path: `${e.path}/`, type: '5', size: 0, mode: 0o755 }));
      else await putFile(w, e);
    }
    await w.put(ZERO_BLOCK);
    await w.put(ZERO_BLOCK);
    await w.flush();
    gzip.end();
    await done;
    await fsyncPath(tmp);
    await rename(tmp, out);
    await fsyncDir(path.dirname(path.resolve(out)));
  } catch (err) {
    gzip.destroy();
    await done.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: pin.hash.digest('hex'), size: pin.size, manifest };
}
