// The bundle's gzip stream: its own pinned gzip frame, fixed zlib feeding, and stored blocks for media.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

export const GZIP_LEVEL = 6;
/** Deflate level 0: the bytes go out as stored blocks, at the cost of a copy and a CRC. */
export const STORED_LEVEL = 0;
/**
 * zlib is fed slices of exactly this size between level switches: stored blocks follow the input's slicing, so
 * a file kept in memory and one streamed in chunks must reach zlib the same way for the bytes to be the same.
 * Slices also batch the small writes: one zlib call per slice instead of one per 512-byte header.
 */
const FEED_BYTES = 1024 * 1024;
/** zlib's output buffer: stored blocks go out in pieces this large instead of zlib's default 16 KiB. */
const OUT_CHUNK_BYTES = 1024 * 1024;
/**
 * Contents below this size are always deflated: deflating them costs little, while a level switch costs a
 * flush and a round trip to zlib's thread each way.
 */
export const SAMPLE_MIN_BYTES = 128 * 1024;
/** Each sample's size; three are taken (start, middle, end) so neither a header nor a tail decides alone. */
const SAMPLE_BYTES = 16 * 1024;
/** A sample that level 1 does not shrink below this share of its size does not compress (docs/decisions.md). */
const DEFLATE_BELOW = 0.97;

/** Where the samples of contents of `size` bytes start: beginning, middle and end. */
function samplePositions(size: number): number[] {
  return [0, Math.floor((size - SAMPLE_BYTES) / 2), size - SAMPLE_BYTES];
}

/** The samples of contents held in memory. */
export function samplesOf(bytes: Buffer): Buffer[] {
  if (bytes.length < SAMPLE_MIN_BYTES) return [];
  return samplePositions(bytes.length).map((at) => bytes.subarray(at, at + SAMPLE_BYTES));
}

/** The samples of a file being streamed, read at the same positions as samplesOf would take them. */
export async function readSamples(fh: FileHandle, size: number): Promise<Buffer[]> {
  if (size < SAMPLE_MIN_BYTES) return [];
  const samples: Buffer[] = [];
  for (const at of samplePositions(size)) {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, at);
    samples.push(buf.subarray(0, bytesRead));
  }
  return samples;
}

/**
 * The deflate level for contents, decided by their bytes alone so the bundle stays reproducible: contents
 * whose samples mostly do not compress (JPEG, PNG, MP3, zip, even behind a small text header) are stored,
 * everything else is deflated at GZIP_LEVEL.
 */
export function contentLevel(samples: Buffer[]): number {
  const incompressible = samples.filter(
    (s) => deflateRawSync(s, { level: 1 }).length >= s.length * DEFLATE_BELOW,
  ).length;
  return incompressible * 2 > samples.length ? STORED_LEVEL : GZIP_LEVEL;
}

/**
 * The gzip member around the raw deflate stream (RFC 1952): header with mtime 0, no name and OS byte 255
 * ("unknown"), so the bytes do not depend on the platform; trailer with the CRC-32 and size of the input.
 * Node's Gzip stream cannot change its level mid-stream (params() works on Deflate/DeflateRaw only), hence
 * the hand-written frame (docs/decisions.md).
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);

class GzipFrame extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly input: { crc: number; size: number }) {
    super();
  }
  private out(chunk: Buffer): void {
    if (this.size === 0) this.send(GZIP_HEADER);
    this.send(chunk);
  }
  private send(chunk: Buffer): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    this.push(chunk);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.out(chunk);
    done();
  }
  override _flush(done: TransformCallback): void {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.input.crc >>> 0, 0);
    trailer.writeUInt32LE(this.input.size % 2 ** 32, 4);
    this.out(trailer);
    done();
  }
}

/**
 * A gzip file being written (created with `wx`): batched puts, a deflate level per entry's contents, and the
 * sha256 and size of the bytes written. A write failure (disk full) surfaces at the next put, not only at the end.
 */
export class GzipFile {
  private readonly deflate = createDeflateRaw({
    level: GZIP_LEVEL,
    memLevel: 8,
    windowBits: 15,
    chunkSize: OUT_CHUNK_BYTES,
  });
  private readonly input = { crc: 0, size: 0 };
  private readonly frame = new GzipFrame(this.input);
  private readonly done: Promise<void>;
  private failed: Error | undefined;
  private parts: Buffer[] = [];
  private fill = 0;
  private level = GZIP_LEVEL;

  constructor(file: string) {
    this.done = pipeline(this.deflate, this.frame, createWriteStream(file, { flags: 'wx', mode: 0o644 }));
    this.done.catch((err: unknown) => (this.failed = err instanceof Error ? err : new Error(String(err))));
  }

  async put(buf: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.parts.push(buf);
    this.fill += buf.length;
    while (this.fill >= FEED_BYTES) await this.feed(FEED_BYTES);
  }

  /** Deflates what follows at `level`. zlib flushes (Z_SYNC_FLUSH) before it switches: the bytes stay fixed. */
  async setLevel(level: number): Promise<void> {
    if (level === this.level) return;
    await this.flush();
    const switched = new Promise<void>((resolve) =>
      this.deflate.params(level, constants.Z_DEFAULT_STRATEGY, () => resolve()),
    );
    // params() never calls back once the stream has failed: the pipeline's failure ends the wait instead.
    await Promise.race([switched, this.done.then(() => undefined)]);
    if (this.failed) throw this.failed;
    this.level = level;
  }

  /** Writes everything put so far. */
  private async flush(): Promise<void> {
    if (this.fill > 0) await this.feed(this.fill);
  }

  /** Writes the first `bytes` bytes put so far to zlib as one slice. */
  private async feed(bytes: number): Promise<void> {
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.fill);
    const data = all.subarray(0, bytes);
    this.parts = bytes < all.length ? [all.subarray(bytes)] : [];
    this.fill -= bytes;
    this.input.crc = crc32(data, this.input.crc);
    this.input.size += data.length;
    if (!this.deflate.write(data)) await Promise.race([once(this.deflate, 'drain'), this.done]);
    if (this.failed) throw this.failed;
  }

  /** Writes what is left and waits for the file; returns the sha256 and size of the gzip bytes. */
  async close(): Promise<{ sha256: string; size: number }> {
    await this.flush();
    this.deflate.end();
    await this.done;
    return { sha256: this.frame.hash.digest('hex'), size: this.frame.size };
  }

  /** Stops writing after a failure; the caller removes the file. */
  async abort(): Promise<void> {
    this.deflate.destroy();
    await this.done.catch(() => undefined);
  }
}
