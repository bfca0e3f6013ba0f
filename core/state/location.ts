// Where the seed-004 state store lives: its own module, so code that only needs the path loads no SQLite.
import path from 'node:path';

export const DEFAULT_STATE_DB = '/data/skill-sync/state.db';

/** `STATE_DB`, else the default on the data volume. */
export function stateDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STATE_DB && env.STATE_DB.trim() !== '' ? path.resolve(env.STATE_DB) : DEFAULT_STATE_DB;
}

/** The database and the files SQLite keeps beside it (WAL, shared memory, rollback journal). */
export function stateDbFiles(file: string): string[] {
  return ['', '-wal', '-shm', '-journal'].map((suffix) => file + suffix);
}
