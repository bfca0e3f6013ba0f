// Hostile-proof unpack: stream gunzip → tar reader → files in a fresh staging folder, refusing
// anything that is not a plain file or folder inside it, then proving the tree equals the manifest.
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { checkEntryPath, foldName } from '../../core/bundle/entry-path.js';
import { BundleError } from '../../core/bundle/errors.js';
import { resolveLimits, type UnpackLimits } from '../../core/bundle/limits.js';
import { MANIFEST_FILE, expectedFingerprint, parseManifest } from '../../core/bundle/manifest.js';
import { TarReader, type TarEntry, type TarSink } from '../../core/bundle/tar-reader.js';
import type { BundleManifest } from '../../core/manifest.js';
import { released } from './memory.js';
import { MemoryTree, type MemoryFile } from './memory-tree.js';
import { failureError, type TreeWrite, type TreeWriteFailure } from './protocol.js';
import { syncTree } from './syncfs.js';
import { laneBySkill, openTreeLanes, type TreeIO } from './tree-io-pool.js';

interface Written {
  sha256: string;
  size: number;
  mode: number;
}

interface OpenFile {
  path: string;
  /** Large files stream to an open descriptor; small ones are buffered (`parts`), then copied into a batch. */
  fh: FileHandle | null;
  parts: Buffer[] | null;
  hash: Hash;
  size: number;
  mode: number;
  keep: Buffer[] | null;
}

/** Files up to this size go to the I/O workers in batches; larger ones stream to a descriptor of their own. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** A batch is sent once it holds this many bytes or steps (few steps, so the disk starts early). */
const BATCH_BYTES = 1024 * 1024;
const BATCH_STEPS = 64;
/** Batches sent but not yet written, at most, over all lanes: parsing runs ahead of the disk by this much, no more. */
const BATCHES_IN_FLIGHT = 2;
const READ_CHUNK_BYTES = 256 * 1024;
const INFLATE_CHUNK_BYTES = 128 * 1024;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function collision(rel: string): BundleError {
  return new BundleError('name-collision', `${JSON.stringify(rel)} collides on this filesystem`);
}

/** O_EXCL + O_NOFOLLOW: never reuse or follow anything that already exists. */
async function createFile(root: string, rel: string): Promise<FileHandle> {
  try {
    return await open(path.join(root, rel), CREATE_FLAGS, 0o600);
  } catch (err) {
    // Our own name checks make this unreachable unless the filesystem folds names we did not.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw collision(rel);
    throw err;
  }
}

/** A failed step of a write batch as the error the caller sees (errno kept, so a full disk stays ENOSPC). */
function batchError(f: TreeWriteFailure, steps: TreeWrite[]): Error {
  const rel = steps[f.index]?.rel ?? '?';
  if (f.code === 'EEXIST') return collision(rel);
  return failureError(f, `writing ${JSON.stringify(rel)} into staging`);
}

interface Batch {
  steps: TreeWrite[];
  /** The files' bytes, back to back (allocated with the first file, BATCH_BYTES or that file's size). */
  data: Buffer | null;
  bytes: number;
}

const emptyBatch = (): Batch => ({ steps: [], data: null, bytes: 0 });

/** Receives tar entries and writes them under `root`; every name is checked before it touches disk. */
class StagingSink implements TarSink {
  private entries = 0;
  private total = 0;
  /** Exact path → what it is; 'implicit' = a folder created for a file below it. */
  private readonly kinds = new Map<string, 'file' | 'dir' | 'implicit'>();
  /** Folded name → the exact name that claimed it first. */
  private readonly folded = new Map<string, string>();
  readonly files = new Map<string, Written>();
  readonly dirs: string[] = [];
  private current: OpenFile | null = null;
  manifestBytes: Buffer | null = null;
  /** The manifest as parsed when it arrived (for the keep decision), so verify() does not parse it again. */
  private manifest: BundleManifest | null = null;
  /** The files' bytes, while the bundle fits `keepBytes` (decided from the manifest, which comes first). */
  private kept: Map<string, MemoryFile> | null = null;
  private keptTotal = 0;

  constructor(
    private readonly root: string,
    private readonly limits: UnpackLimits,
    private readonly lanes: TreeIO[],
    private readonly keepBytes: number,
  ) {
    this.batches = lanes.map(emptyBatch);
    this.skillLane = laneBySkill(lanes.length);
  }

  /** What the manifest says the files weigh; the entries that follow are held to it by verify(). */
  private planKeep(manifestBytes: Buffer): void {
    if (this.keepBytes <= 0) return;
    try {
      this.manifest = parseManifest(manifestBytes);
    } catch {
      return; // verify() refuses the bundle with the reason
    }
    let total = 0;
    for (const s of this.manifest.skills) for (const f of s.files) total += f.size;
    if (total <= this.keepBytes) this.kept = new Map();
  }

  /** The unpacked `skills/` folder in memory, if every file of it was kept. */
  skillsTree(): MemoryTree | null {
    if (!this.kept) return null;
    const files = new Map<string, MemoryFile>();
    for (const [p, f] of this.kept) if (p.startsWith('skills/')) files.set(p.slice('skills/'.length), f);
    const dirs = this.dirs.filter((d) => d.startsWith('skills/')).map((d) => d.slice('skills/'.length));
    return new MemoryTree(path.join(this.root, 'skills'), files, dirs);
  }

  private claim(p: string): void {
    const key = foldName(p);
    const owner = this.folded.get(key);
    if (owner !== undefined && owner !== p) {
      throw new BundleError('name-collision', `${JSON.stringify(p)} collides with ${JSON.stringify(owner)}`);
    }
    this.folded.set(key, p);
  }

  private register(p: string, kind: 'file' | 'dir'): void {
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const anc = segments.slice(0, i).join('/');
      this.claim(anc);
      const k = this.kinds.get(anc);
      if (k === 'file')
        throw new BundleError('path-conflict', `${JSON.stringify(anc)} is a file and a folder`);
      if (k === undefined) this.kinds.set(anc, 'implicit');
    }
    this.claim(p);
    const existing = this.kinds.get(p);
    if (existing === 'file' || existing === 'dir') {
      throw new BundleError('duplicate-entry', `${JSON.stringify(p)} appears twice`);
    }
    if (existing === 'implicit' && kind === 'file') {
      throw new BundleError('path-conflict', `${JSON.stringify(p)} is a folder and a file`);
    }
    this.kinds.set(p, kind);
  }

  private async makeDirs(p: string, includeSelf: boolean): Promise<void> {
    const segments = p.split('/');
    const upto = includeSelf ? segments.length : segments.length - 1;
    for (let i = 1; i <= upto; i++) {
      const rel = segments.slice(0, i).join('/');
      if (this.created.has(rel)) continue;
      await this.addStep({ rel, off: 0, len: -1, mode: 0o755 }, null);
      this.created.add(rel);
      this.dirs.push(rel);
    }
  }
  private readonly created = new Set<string>();

  async entry(e: TarEntry): Promise<void> {
    if (this.writeError) throw this.writeError;
    if (++this.entries > this.limits.maxEntries) {
      throw new BundleError('too-many-entries', `more than ${this.limits.maxEntries} entries`);
    }
    const p = checkEntryPath(e.path, e.kind, this.limits);
    const expected = p === MANIFEST_FILE ? e.kind === 'file' : p === 'skills' || p.startsWith('skills/');
    if (!expected) throw new BundleError('unexpected-entry', `${JSON.stringify(p)} is outside skills/`);
    this.register(p, e.kind);
    if (e.kind === 'dir') {
      await this.makeDirs(p, true);
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
    await this.makeDirs(p, false);
    const small = e.size <= SMALL_FILE_BYTES;
    // Big files stream straight to disk: the tree in memory would miss them, so none of it is kept.
    if (!small) this.kept = null;
    // A big file is opened here, so the folders batched for it must exist first.
    if (!small) await this.drain();
    this.current = {
      path: p,
      fh: small ? null : await createFile(this.root, p),
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
      await this.addStep({ rel: f.path, off: 0, len: f.size, mode: f.mode }, f.parts);
    }
    const sha256 = f.hash.digest('hex');
    this.files.set(f.path, { sha256, size: f.size, mode: f.mode });
    if (f.keep) {
      this.manifestBytes = Buffer.concat(f.keep);
      this.planKeep(this.manifestBytes);
    } else if (this.kept && f.parts) {
      // The parts are the parser's own chunks (the worker got a copy), so holding them costs no copy.
      const bytes = f.parts.length === 1 ? (f.parts[0] as Buffer) : Buffer.concat(f.parts, f.size);
      this.kept.set(f.path, { bytes, mode: f.mode, sha256 });
      // The manifest promised less; verify() will refuse the bundle, and memory stays bounded meanwhile.
      this.keptTotal += f.size;
      if (this.keptTotal > this.keepBytes) this.kept = null;
    }
  }

  /** One batch being filled per lane. */
  private readonly batches: Batch[];
  /** Skill folder → its lane: a skill's folders and files are written in order by one worker. */
  private readonly skillLane: (skill: string) => number;
  private readonly inFlight: Promise<void>[] = [];
  private writeError: Error | null = null;

  /** The lane for `skills/<name>/…` is the skill's; anything at the top (the manifest, `skills/`) goes on lane 0. */
  private lane(rel: string): number {
    const slash = rel.indexOf('/');
    if (slash < 0) return 0;
    const end = rel.indexOf('/', slash + 1);
    return this.skillLane(end < 0 ? rel : rel.slice(0, end));
  }

  /** Queues a folder (parts null) or a small file for the I/O workers; sends a lane's batch when it is full. */
  private async addStep(step: TreeWrite, parts: Buffer[] | null): Promise<void> {
    const lane = this.lane(step.rel);
    let b = this.batches[lane] as Batch;
    if (parts) {
      if (b.data && b.bytes + step.len > b.data.length) {
        await this.send(lane);
        b = this.batches[lane] as Batch;
      }
      // Copied now, not when the batch goes: the parser's chunks then die young, where a scavenge frees them.
      // Held until the send (two batches filling at once, with two lanes), they outlived collections, were
      // promoted, and a 50 MB ingest grew RSS by 50 MB instead of 25.
      b.data ??= Buffer.allocUnsafeSlow(Math.max(BATCH_BYTES, step.len));
      step.off = b.bytes;
      for (const part of parts) {
        b.data.set(part, b.bytes);
        b.bytes += part.length;
      }
    }
    b.steps.push(step);
    // A top-level folder (`skills/`) holds every skill's: it must exist before any other lane writes into it.
    if (step.len < 0 && !step.rel.includes('/') && this.lanes.length > 1) await this.drain();
    else if (b.bytes >= BATCH_BYTES || b.steps.length >= BATCH_STEPS) await this.send(lane);
  }

  /** Hands a lane's batch to its worker (which writes batches in order), waiting while too many are under way. */
  private async send(lane: number): Promise<void> {
    const { steps, data } = this.batches[lane] as Batch;
    if (steps.length === 0) return;
    this.batches[lane] = emptyBatch();
    this.inFlight.push(
      // The whole buffer is handed over (transferred, not copied); the steps say which bytes are whose.
      (this.lanes[lane] as TreeIO).writeTree(this.root, steps, data ?? new Uint8Array(0)).then(
        (failed) => {
          if (failed) this.writeError ??= batchError(failed, steps);
        },
        (err: unknown) => {
          this.writeError ??= err instanceof Error ? err : new Error(String(err));
        },
      ),
    );
    while (this.inFlight.length > BATCHES_IN_FLIGHT) await this.inFlight.shift();
    if (this.writeError) throw this.writeError;
  }

  /** Sends what is batched on every lane and waits until all of it is written; throws the first failure. */
  async drain(): Promise<void> {
    for (let lane = 0; lane < this.batches.length; lane++) await this.send(lane);
    while (this.inFlight.length > 0) await this.inFlight.shift();
    if (this.writeError) throw this.writeError;
  }

  /** Closes what is open and lets sent batches settle, so nothing is written after unpack returns. */
  async abort(): Promise<void> {
    const f = this.current;
    this.current = null;
    await f?.fh?.close().catch(() => undefined);
    await Promise.allSettled(this.inFlight);
  }

  /** The written tree must be exactly what the manifest says: no more, no less, same bytes. */
  verify(): BundleManifest {
    if (!this.manifestBytes) throw new BundleError('manifest-invalid', `${MANIFEST_FILE} is missing`);
    const manifest = this.manifest ?? parseManifest(this.manifestBytes);
    const mismatch = (msg: string) => new BundleError('manifest-mismatch', msg);
    const listed = new Set<string>([MANIFEST_FILE]);
    const allowedDirs = new Set<string>(['skills']);
    for (const skill of manifest.skills) {
      const skillMd = `${skill.path}/SKILL.md`;
      if (!skill.files.some((f) => f.path === 'SKILL.md') || !this.files.has(skillMd)) {
        throw new BundleError('skill-md-missing', `${skillMd} is not a regular file in the bundle`);
      }
      if (expectedFingerprint(skill.files) !== skill.fingerprint) {
        throw mismatch(`skill '${skill.name}': fingerprint does not match its files`);
      }
      allowedDirs.add(skill.path);
      for (const f of skill.files) {
        const p = `${skill.path}/${f.path}`;
        const got = this.files.get(p);
        if (!got) throw mismatch(`${p} is listed but not in the bundle`);
        if (got.sha256 !== f.sha256) throw mismatch(`${p}: sha256 differs from the manifest`);
        if (got.size !== f.size) throw mismatch(`${p}: size differs from the manifest`);
        if (got.mode !== f.mode) throw mismatch(`${p}: mode differs from the manifest`);
        listed.add(p);
        const segments = f.path.split('/');
        for (let i = 1; i < segments.length; i++)
          allowedDirs.add(`${skill.path}/${segments.slice(0, i).join('/')}`);
      }
    }
    for (const p of this.files.keys())
      if (!listed.has(p)) throw mismatch(`${p} is not listed in the manifest`);
    for (const d of this.dirs)
      if (!allowedDirs.has(d)) throw mismatch(`folder ${d} is not part of any listed skill`);
    return manifest;
  }

  /** Durability before the switch, done only after verification: every file and folder, then staging. */
  async sync(): Promise<void> {
    const abs = (rel: string) => path.join(this.root, rel);
    await syncTree([...this.files.keys()].map(abs), [...this.dirs.map(abs), this.root]);
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

export interface UnpackOptions {
  /**
   * Runs on the verified manifest before unpack returns, and its failure fails the unpack. When the files fit
   * `keepBytes` it gets them as a tree in memory and runs while the last writes and the flush are under way;
   * otherwise (tree null) it runs once staging is written and durable, and reads it from disk.
   */
  check?: (manifest: BundleManifest, skills: MemoryTree | null) => Promise<void>;
  /** Most file bytes to hold in memory for `check` (default 8 MiB). */
  keepBytes?: number;
}

const DEFAULT_KEEP_BYTES = 8 * 1024 * 1024;

/**
 * Unpacks `bundleFile` into `stagingDir` and returns its verified manifest. On any refusal it throws
 * BundleError; whatever was written stays inside `stagingDir`, which the caller deletes.
 */
export async function unpackBundle(
  bundleFile: string,
  stagingDir: string,
  limits?: Partial<UnpackLimits>,
  opts: UnpackOptions = {},
): Promise<BundleManifest> {
  const lim = resolveLimits(limits);
  await prepareStaging(stagingDir);
  // It becomes the release folder the live link points into: umask must not decide who can read it.
  await chmod(stagingDir, 0o755);
  const lanes = openTreeLanes();
  const { check } = opts;
  const sink = new StagingSink(
    stagingDir,
    lim,
    lanes,
    check
      ? (opts.keepBytes ??
          (process.env.SKILL_SYNC_KEEP_BYTES
            ? Number(process.env.SKILL_SYNC_KEEP_BYTES)
            : DEFAULT_KEEP_BYTES))
      : 0,
  );
  let manifest: BundleManifest;
  let inMemory: MemoryTree | null = null;
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
    // Verification needs only what was parsed: the check can start while the writes finish.
    manifest = sink.verify();
    inMemory = check ? sink.skillsTree() : null;
    const written = sink.drain().then(() => sink.sync());
    if (check && inMemory) {
      const [wrote, checked] = await Promise.allSettled([written, check(manifest, inMemory)]);
      // A failed write (a full disk) is the cause to report before anything the check found.
      if (wrote.status === 'rejected') throw wrote.reason;
      if (checked.status === 'rejected') throw checked.reason;
    } else await written;
  } catch (err) {
    if (isZlibError(err)) throw new BundleError('corrupt-gzip', `gzip stream is corrupt or truncated`);
    throw err;
  } finally {
    src.destroy();
    gunzip.destroy();
    await sink.abort();
    await Promise.all(lanes.map((io) => io.close()));
  }
  if (check && !inMemory) await check(manifest, null);
  return manifest;
}
