// The staging writer: an unpack's folders and small files, batched per skill onto the I/O workers' lanes, and
// big files streamed to descriptors of their own; nothing is fsynced until sync() (docs/decisions.md).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BundleError } from '../../core/bundle/errors.js';
import { failureError, type TreeWrite, type TreeWriteFailure } from './protocol.js';
import { syncTree } from './syncfs.js';
import { laneBySkill, type TreeIO } from './tree-io-pool.js';

/** Files up to this size go to the I/O workers in batches; larger ones stream to a descriptor of their own. */
export const SMALL_FILE_BYTES = 1024 * 1024;
/** A batch is sent once it holds this many bytes or steps (few steps, so the disk starts early). */
const BATCH_BYTES = 1024 * 1024;
const BATCH_STEPS = 64;
/** Batches sent but not yet written, at most, over all lanes: parsing runs ahead of the disk by this much, no more. */
const BATCHES_IN_FLIGHT = 2;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function collision(rel: string): BundleError {
  return new BundleError('name-collision', `${JSON.stringify(rel)} collides on this filesystem`);
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

export class StagingWriter {
  /** Folders created so far (bundle paths), parents first. */
  readonly dirs: string[] = [];
  private readonly created = new Set<string>();
  /** One batch being filled per lane. */
  private readonly batches: Batch[];
  /** Skill folder → its lane: a skill's folders and files are written in order by one worker. */
  private readonly skillLane: (skill: string) => number;
  private readonly inFlight: Promise<void>[] = [];
  private writeError: Error | null = null;

  constructor(
    private readonly root: string,
    private readonly lanes: TreeIO[],
  ) {
    this.batches = lanes.map(emptyBatch);
    this.skillLane = laneBySkill(lanes.length);
  }

  /** The first write that failed, if any: the unpack stops at the next entry. */
  get failed(): Error | null {
    return this.writeError;
  }

  /** Queues the folders above `p` (and `p` itself if `includeSelf`) that do not exist yet. */
  async makeDirs(p: string, includeSelf: boolean): Promise<void> {
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

  /** Queues a small file: its bytes are copied into the lane's batch now. */
  async addFile(rel: string, size: number, mode: number, parts: Buffer[]): Promise<void> {
    await this.addStep({ rel, off: 0, len: size, mode }, parts);
  }

  /** O_EXCL + O_NOFOLLOW: never reuse or follow anything that already exists. Its folders are written first. */
  async createFile(rel: string): Promise<FileHandle> {
    await this.drain();
    try {
      return await open(path.join(this.root, rel), CREATE_FLAGS, 0o600);
    } catch (err) {
      // Our own name checks make this unreachable unless the filesystem folds names we did not.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw collision(rel);
      throw err;
    }
  }

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
      // Held until the send (two batches filling at once, with two lanes), they outlived collections and
      // were promoted (docs/decisions.md).
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

  /** Lets sent batches settle, so nothing is written after the unpack returns. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  /** Durability before the switch, done only after verification: every file and folder, then staging. */
  async sync(files: Iterable<string>): Promise<void> {
    const abs = (rel: string) => path.join(this.root, rel);
    await syncTree([...files].map(abs), [...this.dirs.map(abs), this.root]);
  }
}
