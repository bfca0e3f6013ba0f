// Deterministic bundle packer: the same skill tree gives the same .tar.gz bytes on every run.
// Fixed choices: entries sorted bytewise, mtime 2000-01-01, uid/gid 0, no user names, modes
// 0644/0755, gzip level 6 (stored blocks for contents that do not compress) with header mtime 0 and OS byte 255.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint } from '../digest.js';
import { fsyncDir, fsyncPath, tempName } from '../fsutil.js';
import type { BundleManifest } from '../bundle-manifest.js';
import type { FileContents } from '../check.js';
import type { Skill } from '../skill/model.js';
import { openTreeIO, type FileRead, type TreeIO } from '../tree-io.js';
import { isSafeRelativePath, isSafeSegment } from './entry-path.js';
import { BundleError } from './errors.js';
import { GzipFile, contentLevel, readSamples, samplesOf } from './gzip.js';
import { MANIFEST_FILE, buildManifest, canonicalJson, compareBytes } from './manifest-json.js';
import { ZERO_BLOCK, encodeEntry, padding } from './tar-header.js';

export { GZIP_LEVEL } from './gzip.js';
/** Files up to this size are read whole by the I/O worker; larger ones are streamed. */
const READ_WHOLE_BYTES = 1024 * 1024;
/** Files per read batch, and batches read ahead of the writer. */
const READ_BATCH = 256;
const READ_AHEAD = 2;

export interface PackResult {
  sha256: string;
  size: number;
  manifest: BundleManifest;
}

type PackEntry =
  | { path: string; kind: 'dir' }
  | {
      path: string;
      kind: 'file';
      source: string;
      size: number;
      sha256: string;
      mode: number;
      /** The bytes the check read (and hashed), when it kept them: shipped as they are, not read again. */
      checked: Buffer | undefined;
    };

function planEntries(root: string, skills: Skill[], contents: FileContents): PackEntry[] {
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
      const rel = skill.path ? `${skill.path}/${f.path}` : f.path;
      const kept = contents.get(rel);
      const checked = kept?.length === f.size ? kept : undefined;
      entries.set(`${base}/${f.path}`, {
        path: `${base}/${f.path}`,
        kind: 'file',
        // Only files the check did not keep are opened again (joining 30k paths is not free).
        source: checked ? '' : path.join(root, rel),
        size: f.size,
        sha256: f.sha256,
        mode: f.mode & 0o100 ? 0o755 : 0o644,
        checked,
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

/** Checks a small file as the I/O worker read it against what was checked: same kind, mode, size and sha256. */
function verifyRead(e: FileEntry, read: FileRead): Buffer {
  if (read.error !== undefined) throw changed(e, read.error);
  if (!read.isFile) throw changed(e, 'not a regular file');
  if ((read.mode & 0o100 ? 0o755 : 0o644) !== e.mode) throw changed(e, 'mode');
  if (!read.bytes || read.size !== e.size) throw changed(e, 'size');
  if (read.sha256 !== e.sha256) throw changed(e, 'sha256');
  return read.bytes;
}

/** Copies a large source file into the tar in chunks, re-hashing it: a file that changed aborts the pack. */
async function putLargeFile(w: GzipFile, e: FileEntry): Promise<void> {
  const hash = createHash('sha256');
  let seen = 0;
  const fh = await openSource(e);
  try {
    await w.put(encodeEntry({ path: e.path, type: '0', size: e.size, mode: e.mode }));
    await w.setLevel(contentLevel(await readSamples(fh, e.size)));
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
  if (seen !== e.size) throw changed(e, 'size');
  if (hash.digest('hex') !== e.sha256) throw changed(e, 'sha256');
  const pad = padding(e.size);
  if (pad) await w.put(Buffer.alloc(pad));
}

/**
 * Small files are read (and hashed) by the I/O worker in batches, a couple of batches ahead of the tar writer,
 * so reading overlaps gzip. Yields each file entry with its verified bytes (undefined: stream it, too large).
 */
async function* readAhead(io: TreeIO, files: FileEntry[]): AsyncGenerator<[FileEntry, Buffer | undefined]> {
  const opts = { maxBytes: READ_WHOLE_BYTES, hashLarge: false, noFollow: true };
  const batch = (from: number) => {
    const p = io.readFiles(
      files.slice(from, from + READ_BATCH).map((e) => e.source),
      opts,
    );
    // Handled here too: after a failure the batches still in flight are dropped, never awaited.
    p.catch(() => undefined);
    return p;
  };
  const inFlight: Promise<FileRead[]>[] = [];
  let next = 0;
  for (; next < files.length && inFlight.length < READ_AHEAD; next += READ_BATCH) inFlight.push(batch(next));
  for (let from = 0; from < files.length; from += READ_BATCH) {
    const reads = await (inFlight.shift() as Promise<FileRead[]>);
    if (next < files.length) {
      inFlight.push(batch(next));
      next += READ_BATCH;
    }
    for (let k = 0; k < reads.length; k++) {
      const e = files[from + k] as FileEntry;
      yield [e, e.size <= READ_WHOLE_BYTES ? verifyRead(e, reads[k] as FileRead) : undefined];
    }
  }
}

export interface PackOptions {
  /** The check's kept contents (CheckResult.contents); files not in it are read from `root` and verified. */
  contents?: FileContents;
  /** Names of skipped skills whose live version the receiver keeps (manifest `retain`). */
  retain?: string[];
}

/**
 * Packs `skills` (as returned by checkRepo for `root`) into the gzip file `out`, written to a temp
 * name and renamed into place so a failed pack leaves nothing behind.
 */
export async function packBundle(
  root: string,
  skills: Skill[],
  out: string,
  opts: PackOptions = {},
): Promise<PackResult> {
  const manifest = buildManifest(skills, opts.retain);
  const entries = planEntries(root, skills, opts.contents ?? new Map());
  const tmp = tempName(path.resolve(out));
  const io = openTreeIO();
  const w = new GzipFile(tmp);
  let written: { sha256: string; size: number };
  try {
    const manifestBytes = Buffer.from(canonicalJson(manifest), 'utf8');
    await w.put(encodeEntry({ path: MANIFEST_FILE, type: '0', size: manifestBytes.length, mode: 0o644 }));
    await w.put(manifestBytes);
    await w.put(Buffer.alloc(padding(manifestBytes.length)));
    const files = entries.filter((e): e is FileEntry => e.kind === 'file' && !e.checked);
    const reads = readAhead(io, files);
    for (const e of entries) {
      if (e.kind === 'dir') {
        await w.put(encodeEntry({ path: `${e.path}/`, type: '5', size: 0, mode: 0o755 }));
        continue;
      }
      const data = e.checked ?? ((await reads.next()).value as [FileEntry, Buffer | undefined])[1];
      if (!data) {
        await putLargeFile(w, e);
        continue;
      }
      await w.put(encodeEntry({ path: e.path, type: '0', size: e.size, mode: e.mode }));
      await w.setLevel(contentLevel(samplesOf(data)));
      await w.put(data);
      const pad = padding(e.size);
      if (pad) await w.put(ZERO_BLOCK.subarray(0, pad));
    }
    await reads.return(undefined);
    await w.put(ZERO_BLOCK);
    await w.put(ZERO_BLOCK);
    written = await w.close();
    await io.close();
    await fsyncPath(tmp);
    await rename(tmp, out);
    await fsyncDir(path.dirname(path.resolve(out)));
  } catch (err) {
    await io.close();
    await w.abort();
    await rm(tmp, { force: true });
    throw err;
  }
  return { ...written, manifest };
}
