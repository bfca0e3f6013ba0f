// The JSONL outbox: `audit.jsonl` appended and fsynced per record, rotated by size, read tolerantly (torn lines skipped).
import { open, readFile, readdir, rename, rm, stat, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../fsutil.js';
import type { AuditRecord } from './types.js';

export const AUDIT_FILE = 'audit.jsonl';
export const DEFAULT_ROTATE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KEEP_FILES = 5;

/** `<dataDir>/skill-sync`: the folder for state, releases and the audit files (docs/architecture.md). */
export function auditDir(dataDir: string): string {
  return path.join(dataDir, 'skill-sync');
}

function rotatedName(dir: string, n: number): string {
  return path.join(dir, n === 0 ? AUDIT_FILE : `audit.${n}.jsonl`);
}

function isRecord(value: unknown): value is AuditRecord {
  if (!value || typeof value !== 'object') return false;
  const r = value as Partial<AuditRecord>;
  return Number.isSafeInteger(r.seq) && typeof r.deploymentId === 'string' && typeof r.timestamp === 'string';
}

/** Parses every complete, well-formed line; a torn or corrupt line is counted and skipped, never fatal. */
export function parseLines(text: string): { records: AuditRecord[]; skipped: number } {
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) records.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Every record in the rotated files and the current one, oldest first, deduplicated by seq
 * (a rotation during the read can show one file under two names).
 */
export async function readAuditRecords(
  dataDir: string,
): Promise<{ records: AuditRecord[]; skipped: number }> {
  const dir = auditDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw err;
  }
  const rotated = names
    .map((n) => /^audit\.(\d+)\.jsonl$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  const bySeq = new Map<number, AuditRecord>();
  let skipped = 0;
  for (const n of [...rotated, 0]) {
    const text = await readIfExists(rotatedName(dir, n));
    if (text === undefined) continue;
    const parsed = parseLines(text);
    skipped += parsed.skipped;
    for (const r of parsed.records) bySeq.set(r.seq, r);
  }
  return { records: [...bySeq.values()].sort((a, b) => a.seq - b.seq), skipped };
}

/** The single in-process writer of `audit.jsonl`. Appends are serialized by the caller (AuditTrail). */
export class JsonlOutbox {
  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private size: number,
    private readonly rotateBytes: number,
    private readonly keepFiles: number,
  ) {}

  static async open(
    dataDir: string,
    rotateBytes = DEFAULT_ROTATE_BYTES,
    keepFiles = DEFAULT_KEEP_FILES,
  ): Promise<JsonlOutbox> {
    const dir = auditDir(dataDir);
    await mkdir(dir, { recursive: true });
    const file = rotatedName(dir, 0);
    const fh = await open(file, 'a+', 0o640);
    let size = (await fh.stat()).size;
    // A crash mid-append leaves a line without its newline: end it so the next record starts on a fresh line.
    // The torn bytes stay (the log is append-only) and every reader skips them.
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        await fh.appendFile('\n');
        await fh.sync();
        size += 1;
      }
    }
    await fsyncDir(dir);
    return new JsonlOutbox(dir, fh, size, rotateBytes, keepFiles);
  }

  /** Appends one line and fsyncs it: when this resolves the record survives a crash. */
  async append(record: AuditRecord): Promise<void> {
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    if (this.size > 0 && this.size + line.length > this.rotateBytes) await this.rotate();
    // One write call per line keeps a SIGKILL from interleaving two records; at worst the tail is torn.
    await this.fh.appendFile(line);
    this.size += line.length;
    await this.fh.sync();
  }

  /** audit.jsonl → audit.1.jsonl → … → audit.<keepFiles>.jsonl; the oldest beyond that is deleted. */
  private async rotate(): Promise<void> {
    await this.fh.sync();
    await this.fh.close();
    try {
      await rm(rotatedName(this.dir, this.keepFiles), { force: true });
      for (let n = this.keepFiles - 1; n >= 0; n--) {
        const from = rotatedName(this.dir, n);
        try {
          await stat(from);
        } catch {
          continue;
        }
        await rename(from, rotatedName(this.dir, n + 1));
      }
      if (this.keepFiles === 0) await rm(rotatedName(this.dir, 0), { force: true });
    } finally {
      // Whatever happened, keep a writable current file: a failed rotation must not stop the audit trail.
      this.fh = await open(rotatedName(this.dir, 0), 'a+', 0o640);
      this.size = (await this.fh.stat()).size;
    }
    await fsyncDir(this.dir);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
