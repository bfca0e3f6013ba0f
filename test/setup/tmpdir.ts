// One temp folder per test run, removed at the end (the global setup of both `npm test` and `npm run test:unit`).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every temp folder a test makes goes under one folder for this run (TMPDIR is inherited by the test workers),
 * removed at the end: hundreds of data dirs, repos and bundles must not pile up in /tmp run after run.
 * KEEP_TEST_TMP=1 keeps it for a post-mortem.
 */
export function scopeTmpdir(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skill-sync-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.KEEP_TEST_TMP) return console.warn(`[setup] test temp files kept in ${dir}`);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}

export default scopeTmpdir;
