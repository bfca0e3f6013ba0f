// Skill state store (seed 004): a key-value table in an embedded SQLite file on the data volume.
// Several processes (CLI calls from generators, skills) share it: WAL lets readers run beside a writer, and
// busy_timeout makes a second writer wait for the lock instead of failing.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'libsql';
import { isValidPattern } from '../sync/pattern.js';

import { DEFAULT_STATE_DB, stateDbPath } from './location.js';

export { DEFAULT_STATE_DB, stateDbPath };
export const BUSY_TIMEOUT_MS = 5000;
/** Keys are what patterns can name: the pattern alphabet without `*`, so every key is reachable by a glob. */
export const KEY_RE = /^[A-Za-z0-9_.:/@#+=-]{1,256}$/;
/** Values are rendered into Markdown files; a megabyte is far beyond a sane note and bounds a runaway writer. */
export const MAX_VALUE_BYTES = 1024 * 1024;

export interface StateEntry {
  key: string;
  /** UTF-8 text as stored; JSON values are stored as their text. */
  value: string;
  /** ISO-8601 UTC time of the last set. */
  updatedAt: string;
}

export class StateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function assertValidKey(key: string): void {
  if (!KEY_RE.test(key))
    throw new StateError(
      'state/key-invalid',
      `key '${key.slice(0, 80)}' must be 1-256 chars of [A-Za-z0-9_.:/@#+=-]`,
    );
}

interface Row {
  key: string;
  value: string;
  updated_at: string | null;
}

/** Runs `step`, again after a short random pause while it fails with SQLITE_BUSY, until `deadline`. */
function untilNotBusy(deadline: number, step: () => unknown): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      step();
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      // The store is synchronous (CLI calls): a blocking sleep is the honest wait here.
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

const toEntry = (r: Row): StateEntry => ({ key: r.key, value: r.value, updatedAt: r.updated_at ?? '' });

export class StateStore {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  static open(file: string = stateDbPath()): StateStore {
    mkdirSync(path.dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS / 1000 });
    } catch (err) {
      throw new StateError('state/open-failed', `cannot open ${file}: ${(err as Error).message}`);
    }
    // busy_timeout first: switching to WAL and creating the table both take a lock another process may hold.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL is stored in the file, so only the first opens of a new database switch it. Two processes doing that
    // at once can get SQLITE_BUSY without SQLite ever calling the busy handler (a lock upgrade that could
    // deadlock), so the switch and the table creation retry on their own, within the same time budget.
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    untilNotBusy(deadline, () => db.pragma('journal_mode = WAL'));
    // NORMAL is durable across process crashes in WAL mode; only a power cut can lose the last commits.
    db.pragma('synchronous = NORMAL');
    untilNotBusy(deadline, () =>
      db.exec(
        'CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT)',
      ),
    );
    return new StateStore(db, file);
  }

  get(key: string): StateEntry | undefined {
    assertValidKey(key);
    const row = this.db.prepare('SELECT key, value, updated_at FROM state WHERE key = ?').get(key) as
      Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  set(key: string, value: string): StateEntry {
    assertValidKey(key);
    if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES)
      throw new StateError('state/value-too-large', `value for '${key}' is over ${MAX_VALUE_BYTES} bytes`);
    const updatedAt = new Date().toISOString();
    this.db
      .prepare(
        'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ' +
          'ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      )
      .run(key, value, updatedAt);
    return { key, value, updatedAt };
  }

  /** True when the key existed. */
  delete(key: string): boolean {
    assertValidKey(key);
    return this.db.prepare('DELETE FROM state WHERE key = ?').run(key).changes > 0;
  }

  /**
   * Entries whose key matches any of the patterns (`*` = any run of characters), sorted by key (byte order).
   * No patterns means every entry. Patterns must pass isValidPattern: they then contain no other GLOB metacharacter.
   */
  list(patterns: string[] = []): StateEntry[] {
    const bad = patterns.find((p) => !isValidPattern(p));
    if (bad !== undefined)
      throw new StateError(
        'sync/pattern-invalid',
        `pattern '${bad.slice(0, 80)}' must be 1-256 chars of [A-Za-z0-9_.:/@#+=-] and '*'`,
      );
    const where = patterns.length ? ` WHERE ${patterns.map(() => 'key GLOB ?').join(' OR ')}` : '';
    const rows = this.db
      .prepare(`SELECT key, value, updated_at FROM state${where} ORDER BY key`)
      .all(...patterns) as Row[];
    return rows.map(toEntry);
  }

  close(): void {
    this.db.close();
  }
}
