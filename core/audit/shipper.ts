// The shipper: a background loop that sends JSONL records to Neo4j in seq order, with backoff, resuming from a saved position.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Driver } from 'neo4j-driver';
import { writeFileAtomic } from '../fsutil.js';
import { auditDir, readAuditRecords } from './jsonl.js';
import { DEFAULT_DATABASE, ensureSchema, openDriver, writeRecord } from './neo4j-sink.js';
import { backoffDelay } from '../retry.js';
import { redactUrl, scrubText } from '../secrets/redact.js';
import { errorText } from './scrub.js';
import type { AuditLog, AuditRecord, Neo4jConfig } from './types.js';

export const POSITION_FILE = 'audit-shipper.json';
/** Records held in memory; beyond this the backlog is re-read from the JSONL when the queue drains. */
const MAX_PENDING = 10_000;
const BATCH = 200;
const IDLE_PROBE_MS = 15_000;

interface Position {
  v: 1;
  /** Where the records went (no credentials): a new target starts over, which MERGE makes harmless. */
  target: string;
  shippedSeq: number;
}

export interface ShipperOptions {
  dataDir: string;
  neo4j: Neo4jConfig;
  log: AuditLog;
  /** First retry delay; doubles per failure up to retryMaxMs. */
  shipIntervalMs: number;
  retryMaxMs: number;
}

export async function readPosition(dataDir: string): Promise<Position | undefined> {
  try {
    const p = JSON.parse(
      await readFile(path.join(auditDir(dataDir), POSITION_FILE), 'utf8'),
    ) as Partial<Position>;
    return Number.isSafeInteger(p.shippedSeq) && typeof p.target === 'string' ? (p as Position) : undefined;
  } catch {
    return undefined;
  }
}

export class Shipper {
  private readonly database: string;
  private readonly target: string;
  private readonly driver: Driver;
  private pending: AuditRecord[] = [];
  private backlogOnDisk = false;
  private shippedSeq = 0;
  private lastSeq = 0;
  private state: 'connecting' | 'ok' | 'down' = 'connecting';
  private lastError: string | undefined;
  private schemaReady = false;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ShipperOptions) {
    this.database = opts.neo4j.database ?? DEFAULT_DATABASE;
    this.target = `${redactUrl(opts.neo4j.uri)}/${this.database}`;
    this.driver = openDriver(opts.neo4j);
  }

  /** Loads the unshipped backlog from the JSONL and starts the loop; never waits on Neo4j. */
  async start(lastSeq: number): Promise<void> {
    const pos = await readPosition(this.opts.dataDir);
    this.shippedSeq = pos && pos.target === this.target ? pos.shippedSeq : 0;
    this.lastSeq = lastSeq;
    await this.reloadBacklog();
    this.loop = this.run();
  }

  get lag(): number {
    return Math.max(0, this.lastSeq - this.shippedSeq);
  }

  report(): { neo4j: 'connected' | 'lagging' | 'down'; lag: number; lastError?: string } {
    const lag = this.lag;
    if (this.state === 'down')
      return { neo4j: 'down', lag, ...(this.lastError ? { lastError: this.lastError } : {}) };
    return { neo4j: this.state === 'ok' && lag === 0 ? 'connected' : 'lagging', lag };
  }

  /** Called after the record is durable in the JSONL. */
  enqueue(record: AuditRecord): void {
    this.lastSeq = Math.max(this.lastSeq, record.seq);
    if (this.pending.length >= MAX_PENDING) this.backlogOnDisk = true;
    else if (!this.backlogOnDisk) this.pending.push(record);
    // While Neo4j is down the backoff decides when to retry; new records must not turn it into a busy loop.
    if (this.state !== 'down') this.wakeUp?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.loop;
    await this.driver.close();
  }

  private async reloadBacklog(): Promise<void> {
    const { records } = await readAuditRecords(this.opts.dataDir);
    const unshipped = records.filter((r) => r.seq > this.shippedSeq);
    this.backlogOnDisk = unshipped.length > MAX_PENDING;
    this.pending = unshipped.slice(0, MAX_PENDING);
    const first = this.pending[0];
    if (first && first.seq > this.shippedSeq + 1 && this.shippedSeq > 0) {
      this.opts.log.warn(
        { from: this.shippedSeq + 1, to: first.seq - 1 },
        'audit: records rotated away before reaching Neo4j',
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  private scrub(err: unknown): string {
    return scrubText(errorText(err), [this.opts.neo4j.password]);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        if (!this.schemaReady) {
          await ensureSchema(this.driver, this.database);
          this.schemaReady = true;
        }
        if (this.pending.length === 0 && this.backlogOnDisk) await this.reloadBacklog();
        if (this.pending.length === 0) {
          if (this.state !== 'ok') await this.driver.verifyConnectivity({ database: this.database });
          this.markOk(failures);
          failures = 0;
          await this.sleep(IDLE_PROBE_MS);
          // Idle: a cheap probe keeps /health honest when Neo4j goes away between deploys.
          if (!this.closed && this.pending.length === 0)
            await this.driver.verifyConnectivity({ database: this.database });
          continue;
        }
        await this.shipBatch();
        this.markOk(failures);
        failures = 0;
      } catch (err) {
        failures++;
        const message = this.scrub(err);
        if (this.state !== 'down' || message !== this.lastError) {
          this.opts.log.warn(
            { err: message, lag: this.lag, target: this.target },
            'audit: Neo4j unavailable, will retry',
          );
        }
        this.state = 'down';
        this.lastError = message;
        // Exponential backoff with jitter, so many receivers do not hammer a recovering server together.
        await this.sleep(backoffDelay(failures, this.opts.shipIntervalMs, this.opts.retryMaxMs));
      }
    }
  }

  private markOk(previousFailures: number): void {
    if (this.state !== 'ok') {
      this.opts.log.info(
        { target: this.target, lag: this.lag, retries: previousFailures },
        'audit: Neo4j connected',
      );
    }
    this.state = 'ok';
    this.lastError = undefined;
  }

  /** In seq order; the position is saved after the batch, so a crash re-sends at most one batch (MERGE absorbs it). */
  private async shipBatch(): Promise<void> {
    const batch = this.pending.slice(0, BATCH);
    let shipped = 0;
    try {
      for (const record of batch) {
        if (this.closed) break;
        await writeRecord(this.driver, this.database, record);
        this.shippedSeq = Math.max(this.shippedSeq, record.seq);
        shipped++;
      }
    } finally {
      if (shipped > 0) {
        this.pending.splice(0, shipped);
        await this.savePosition();
      }
    }
  }

  private async savePosition(): Promise<void> {
    const pos: Position = { v: 1, target: this.target, shippedSeq: this.shippedSeq };
    await writeFileAtomic(path.join(auditDir(this.opts.dataDir), POSITION_FILE), JSON.stringify(pos) + '\n');
  }
}
