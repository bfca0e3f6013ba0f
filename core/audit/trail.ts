// AuditTrail: the one audit interface the receiver calls for every attempt: JSONL first (fsynced), Neo4j shipped behind.
import { JsonlOutbox, DEFAULT_KEEP_FILES, DEFAULT_ROTATE_BYTES, readAuditRecords } from './jsonl.js';
import { filterHistory } from './history.js';
import { Shipper, readPosition } from './shipper.js';
import { scrubText } from '../secrets/redact.js';
import { errorText } from './scrub.js';
import { silentLog } from './types.js';
import type {
  AuditInput,
  AuditLog,
  AuditRecord,
  AuditStatusReport,
  HistoryQuery,
  Neo4jConfig,
} from './types.js';

export interface AuditTrailOptions {
  /** Files go in `<dataDir>/skill-sync/`. */
  dataDir: string;
  neo4j?: Neo4jConfig;
  log?: AuditLog;
  rotateBytes?: number;
  /** Rotated files kept besides `audit.jsonl` (default 5). */
  keepFiles?: number;
  /** First retry delay of the shipper (default 1 s). */
  shipIntervalMs?: number;
  /** Longest delay between retries while Neo4j is down (default 30 s). */
  retryMaxMs?: number;
}

export class AuditTrail {
  /** Appends run one after another: seq order equals file order. */
  private chain: Promise<unknown> = Promise.resolve();
  private jsonlOk = true;

  private constructor(
    private readonly opts: AuditTrailOptions,
    private readonly outbox: JsonlOutbox,
    private readonly shipper: Shipper | undefined,
    private lastSeq: number,
    private lastLiveId: string | undefined,
  ) {}

  static async open(opts: AuditTrailOptions): Promise<AuditTrail> {
    const outbox = await JsonlOutbox.open(
      opts.dataDir,
      opts.rotateBytes ?? DEFAULT_ROTATE_BYTES,
      opts.keepFiles ?? DEFAULT_KEEP_FILES,
    );
    const { records, skipped } = await readAuditRecords(opts.dataDir);
    const log = opts.log ?? silentLog;
    if (skipped > 0) log.warn({ skipped }, 'audit: skipped unreadable lines in the JSONL (torn by a crash)');
    // seq never goes back, even if every JSONL file was removed: the shipper position is a floor.
    const position = await readPosition(opts.dataDir);
    const lastSeq = Math.max(records.at(-1)?.seq ?? 0, position?.shippedSeq ?? 0);
    const lastLiveId = records.findLast((r) => r.status === 'success')?.deploymentId;
    let shipper: Shipper | undefined;
    if (opts.neo4j) {
      shipper = new Shipper({
        dataDir: opts.dataDir,
        neo4j: opts.neo4j,
        log,
        shipIntervalMs: opts.shipIntervalMs ?? 1_000,
        retryMaxMs: opts.retryMaxMs ?? 30_000,
      });
      await shipper.start(lastSeq);
    }
    return new AuditTrail(opts, outbox, shipper, lastSeq, lastLiveId);
  }

  /** Resolves once the record is appended and fsynced; never waits on Neo4j. */
  record(input: AuditInput): Promise<AuditRecord> {
    const next = this.chain.then(() => this.append(input));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async append(input: AuditInput): Promise<AuditRecord> {
    const previousDeploymentId =
      input.previousDeploymentId ?? (input.status === 'success' ? this.lastLiveId : undefined);
    const record: AuditRecord = {
      seq: this.lastSeq + 1,
      timestamp: new Date().toISOString(),
      ...input,
      ...(previousDeploymentId && previousDeploymentId !== input.deploymentId
        ? { previousDeploymentId }
        : {}),
    };
    try {
      await this.outbox.append(record);
      this.jsonlOk = true;
    } catch (err) {
      this.jsonlOk = false;
      (this.opts.log ?? silentLog).error({ err: scrubText(errorText(err)) }, 'audit: JSONL append failed');
      throw err;
    }
    this.lastSeq = record.seq;
    if (record.status === 'success') this.lastLiveId = record.deploymentId;
    this.shipper?.enqueue(record);
    return record;
  }

  /** For /health: never holds the password or URI credentials. */
  status(): AuditStatusReport {
    const jsonl = this.jsonlOk ? 'ok' : 'error';
    if (!this.shipper) return { jsonl, neo4j: 'disabled', lag: 0 };
    return { jsonl, ...this.shipper.report() };
  }

  /** Newest first, from the JSONL including rotated files. */
  async history(q: HistoryQuery = {}): Promise<AuditRecord[]> {
    return filterHistory((await readAuditRecords(this.opts.dataDir)).records, q);
  }

  /** Waits for pending appends, stops the shipper and closes the driver. */
  async close(): Promise<void> {
    await this.chain;
    await this.shipper?.close();
    await this.outbox.close();
  }
}
