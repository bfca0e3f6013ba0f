// Hostile-proof unpack: stream gunzip → tar reader → files in a fresh staging folder (staging-writer.ts),
// refusing anything that is not a plain file or folder inside it, then proving the tree equals the manifest
// (verify-tree.ts).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { checkEntryPath } from '../../core/bundle/entry-path.js';
import { BundleError } from '../../core/bundle/errors.js';
import { resolveLimits, type UnpackLimits } from '../../core/bundle/limits.js';
import { MANIFEST_FILE } from '../../core/bundle/manifest-json.js';
import { TarReader, type TarEntry, type TarSink } from '../../core/bundle/tar-reader.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';
import { EntryNames } from './entry-names.js';
import { released } from './memory.js';
import { SMALL_FILE_BYTES, StagingWriter } from './staging-writer.js';
import { openTreeLanes, type TreeIO } from './tree-io-pool.js';
import { verifyTree, type Written } from './verify-tree.js';

interface OpenFile {
  path: string;
  /** Large files stream to an open descriptor; small ones are buffered (`parts`), then copied into a batch. */
  fh: FileHandle | null;
  parts: Buffer[] | null;
  hash: Hash;
  size: number;
  mode: number;
  /** The manifest's chunks, kept for verify(); null for every other file. */
  keep: Buffer[] | null;
}

const READ_CHUNK_BYTES = 256 * 1024;
const INFLATE_CHUNK_BYTES = 128 * 1024;

/** Receives tar entries and writes them under `root`; every name is checked before it touches disk. */
class StagingSink implements TarSink {
  private entries = 0;
  private total = 0;
  private readonly names = new EntryNames();
  readonly files = new Map<string, Written>();
  private readonly writer: StagingWriter;
  private current: OpenFile | null = null;
  manifestBytes: Buffer | null = null;

  constructor(
    root: string,
    private readonly limits: UnpackLimits,
    lanes: TreeIO[],
  ) {
    this.writer = new StagingWriter(root, lanes);
  }

  async entry(e: TarEntry): Promise<void> {
    if (this.writer.failed) throw this.writer.failed;
    if (++this.entries > this.limits.maxEntries) {
      throw new BundleError('too-many-entries', `more than ${this.limits.maxEntries} entries`);
    }
    const p = checkEntryPath(e.path, e.kind, this.limits);
    const expected = p === MANIFEST_FILE ? e.kind === 'file' : p === 'skills' || p.startsWith('skills/');
    if (!expected) throw new BundleError('unexpected-entry', `${JSON.stringify(p)} is outside skills/`);
    this.names.register(p, e.kind);
    if (e.kind === 'dir') {
      await this.writer.makeDirs(p, true);
      return;
    }
    if (e.size > this.limits.maxFileBytes) {
      throw new BundleError(
        'file-too-large',
        `${JSON.stringify(p)} is ${e.size} bytes (max ${this.limits.maxFileBytes})`,
      );
    }
    this.total += e.size;
    if (this.total > this.limits.maxTotalBytes) {
      throw new BundleError('too-large', `more than ${this.limits.maxTotalBytes} bytes unpacked`);
    }
    await this.writer.makeDirs(p, false);
    const small = e.size <= SMALL_FILE_BYTES;
    this.current = {
      path: p,
      fh: small ? null : await this.writer.createFile(p),
      parts: small ? [] : null,
      hash: createHash('sha256'),
      size: 0,
      mode: e.mode & 0o100 ? 0o755 : 0o644,
      keep: p === MANIFEST_FILE ? [] : null,
    };
  }

  async data(chunk: Buffer): Promise<void> {
    const f = this.current!;
    if (f.parts) f.parts.push(chunk);
    let off = 0;
    while (f.fh && off < chunk.length) {
      const { bytesWritten } = await f.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
    f.hash.update(chunk);
    f.size += chunk.length;
    f.keep?.push(chunk);
  }

  async endEntry(): Promise<void> {
    const f = this.current;
    if (!f) return;
    this.current = null;
    if (f.fh) {
      try {
        // chmod on our own descriptor: no path, so nothing outside can be touched.
        await f.fh.chmod(f.mode);
      } finally {
        await f.fh.close();
      }
    } else {
      await this.writer.addFile(f.path, f.size, f.mode, f.parts ?? []);
    }
    const sha256 = f.hash.digest('hex');
    this.files.set(f.path, { sha256, size: f.size, mode: f.mode });
    if (f.keep) this.manifestBytes = Buffer.concat(f.keep);
  }

  /** Sends what is batched and waits until all of it is written; throws the first failure. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /** Closes what is open and lets sent batches settle, so nothing is written after unpack returns. */
  async abort(): Promise<void> {
    const f = this.current;
    this.current = null;
    await f?.fh?.close().catch(() => undefined);
    await this.writer.settle();
  }

  /** The written tree must be exactly what the manifest says (verify-tree.ts). */
  verify(): BundleManifest {
    return verifyTree(this.manifestBytes, this.files, this.writer.dirs);
  }

  /** Durability before the switch, done only after verification. */
  sync(): Promise<void> {
    return this.writer.sync(this.files.keys());
  }
}

/** Staging must be new (or an empty folder we are handed): unpack never merges into existing files. */
async function prepareStaging(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await lstat(dir);
    if (!st.isDirectory() || (await readdir(dir)).length > 0) {
      throw new BundleError('staging-not-empty', `${dir} exists and is not an empty folder`);
    }
  }
}

function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Unpacks `bundleFile` into `stagingDir` and returns its verified manifest. On any refusal it throws
 * BundleError; whatever was written stays inside `stagingDir`, which the caller deletes.
 */
export async function unpackBundle(
  bundleFile: string,
  stagingDir: string,
  limits?: Partial<UnpackLimits>,
): Promise<BundleManifest> {
  const lim = resolveLimits(limits);
  await prepareStaging(stagingDir);
  // It becomes the release folder the live link points into: umask must not decide who can read it.
  await chmod(stagingDir, 0o755);
  const lanes = openTreeLanes();
  const sink = new StagingSink(stagingDir, lim, lanes);
  let manifest: BundleManifest;
  const reader = new TarReader(sink);
  // Bigger chunks than the 64 KiB / 16 KiB defaults: each chunk is a thread-pool round trip for the read and
  // for inflate, and with the defaults those trips were a third of a 130-skill unpack. Memory stays bounded.
  const src = createReadStream(bundleFile, { highWaterMark: READ_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
  src.on('error', (err) => gunzip.destroy(err));
  src.pipe(gunzip);
  let inflated = 0;
  let consumed = 0;
  try {
    for await (const chunk of gunzip) {
      inflated += (chunk as Buffer).length;
      // bytesWritten = compressed bytes consumed so far: the bomb is stopped after ~grace bytes.
      if (inflated > lim.ratioGraceBytes && inflated > lim.maxRatio * Math.max(gunzip.bytesWritten, 1)) {
        throw new BundleError('ratio', `decompression ratio above ${lim.maxRatio}:1`);
      }
      await reader.write(chunk as Buffer);
      // Both die here: this inflated chunk, and the compressed chunks read from disk to make it.
      released((chunk as Buffer).length + gunzip.bytesWritten - consumed);
      consumed = gunzip.bytesWritten;
    }
    reader.end();
    manifest = sink.verify();
    await sink.drain();
    await sink.sync();
  } catch (err) {
    if (isZlibError(err)) throw new BundleError('corrupt-gzip', `gzip stream is corrupt or truncated`);
    throw err;
  } finally {
    src.destroy();
    gunzip.destroy();
    await sink.abort();
    await Promise.all(lanes.map((io) => io.close()));
  }
  return manifest;
}
