// The state store: API semantics, the `skill-sync state` CLI, GLOB patterns, and two writer processes at once.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../core/state/store.js';
import { matchesPattern } from '../../core/sync/pattern.js';
import { cli, ROOT } from './cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sync-state-'));
});

describe('StateStore', () => {
  it('creates the parent folder, sets, gets, overwrites, deletes', () => {
    const s = StateStore.open(path.join(tmp, 'nested/deeper/state.db'));
    try {
      expect(s.get('memory:a')).toBeUndefined();
      s.set('memory:a', 'first');
      s.set('memory:a', 'second ✓ ünïcode\nline two');
      expect(s.get('memory:a')).toMatchObject({ key: 'memory:a', value: 'second ✓ ünïcode\nline two' });
      expect(s.get('memory:a')?.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(s.delete('memory:a')).toBe(true);
      expect(s.delete('memory:a')).toBe(false);
      expect(s.get('memory:a')).toBeUndefined();
      // WAL mode is what lets readers run beside a writer; SQLite keeps a -wal file next to the database.
      expect(existsSync(path.join(tmp, 'nested/deeper/state.db-wal'))).toBe(true);
    } finally {
      s.close();
    }
  });

  it('lists by several globs, sorted by key, with no wildcard besides *', () => {
    const s = StateStore.open(path.join(tmp, 'list.db'));
    try {
      for (const k of [
        'notes:entry:2',
        'memory:b',
        'notes:entry:1',
        'notes:draft:1',
        'memory:a',
        'memoryx',
        'Memory:c',
        'memo?'.replace('?', '_'),
      ])
        s.set(k, `v-${k}`);
      expect(s.list(['memory:*']).map((e) => e.key)).toEqual(['memory:a', 'memory:b']);
      expect(s.list(['notes:entry:*', 'memory:*']).map((e) => e.key)).toEqual([
        'memory:a',
        'memory:b',
        'notes:entry:1',
        'notes:entry:2',
      ]);
      expect(s.list(['memory:a']).map((e) => e.value)).toEqual(['v-memory:a']);
      expect(s.list([]).length).toBe(8);
      expect(() => s.list(['memo?'])).toThrow(/sync\/pattern-invalid/);
      expect(() => s.set('has space', 'x')).toThrow(/state\/key-invalid/);
      expect(() => s.set('a*', 'x')).toThrow(/state\/key-invalid/);
    } finally {
      s.close();
    }
  });

  it('SQL GLOB and matchesPattern agree on random keys and patterns', () => {
    const s = StateStore.open(path.join(tmp, 'prop.db'));
    const alphabet = fc.constantFrom('a', 'b', ':', '-', '.', 'Z');
    const key = fc.string({ unit: alphabet, minLength: 1, maxLength: 6 });
    const pattern = fc.string({
      unit: fc.constantFrom('a', 'b', ':', '*', '.', 'Z'),
      minLength: 1,
      maxLength: 5,
    });
    try {
      fc.assert(
        fc.property(fc.uniqueArray(key, { maxLength: 8 }), pattern, (keys, pat) => {
          s.list([]).forEach((e) => s.delete(e.key));
          keys.forEach((k) => s.set(k, k));
          const expected = keys
            .filter((k) => matchesPattern(k, pat))
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(s.list([pat]).map((e) => e.key)).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    } finally {
      s.close();
    }
  });
});

describe('skill-sync state (CLI)', () => {
  it('set / get / list / delete round-trip, --db and $STATE_DB', async () => {
    const db = path.join(tmp, 'cli.db');
    expect((await cli(['state', 'set', 'memory:units', 'metric'], { STATE_DB: db })).code).toBe(0);
    expect((await cli(['state', 'set', '--db', db, '--json', 'notes:entry:1', '{"title":"T"}'])).code).toBe(
      0,
    );
    const got = await cli(['state', 'get', 'memory:units', '--db', db]);
    expect(got).toMatchObject({ code: 0, stdout: 'metric\n' });
    const getJson = JSON.parse(
      (await cli(['state', 'get', 'memory:units', '--json'], { STATE_DB: db })).stdout,
    );
    expect(getJson).toMatchObject({ key: 'memory:units', value: 'metric' });
    const list = await cli(['state', 'list', '--pattern', 'memory:*,notes:*', '--json', '--db', db]);
    // Values come back as the stored string, JSON or not: generators parse what they stored as JSON.
    expect(JSON.parse(list.stdout).map((e: { key: string; value: string }) => [e.key, e.value])).toEqual([
      ['memory:units', 'metric'],
      ['notes:entry:1', '{"title":"T"}'],
    ]);
    expect((await cli(['state', 'list', '--pattern', 'notes:*', '--db', db])).stdout).toBe(
      'notes:entry:1\t{"title":"T"}\n',
    );
    expect((await cli(['state', 'delete', 'memory:units', '--db', db])).stdout).toBe(
      'deleted memory:units\n',
    );
    const missing = await cli(['state', 'get', 'memory:units', '--db', db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('state/not-found');
  });

  it('reads the value from stdin, and refuses bad input with clear codes', async () => {
    const db = path.join(tmp, 'cli2.db');
    expect(
      (await cli(['state', 'set', '--stdin', 'memory:long', '--db', db], {}, 'line 1\nline 2\n')).code,
    ).toBe(0);
    expect((await cli(['state', 'get', 'memory:long', '--db', db])).stdout).toBe('line 1\nline 2\n\n');
    const notJson = await cli(['state', 'set', '--json', 'notes:entry:x', '{nope', '--db', db]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('state/value-not-json');
    const badPattern = await cli(['state', 'list', '--pattern', 'memory:*,no pe', '--db', db]);
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toContain('sync/pattern-invalid');
    const badKey = await cli(['state', 'set', 'bad key', 'v', '--db', db]);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('state/key-invalid');
    expect((await cli(['state', 'set', 'only-key', '--db', db])).code).toBe(2);
  });

  it('two processes writing 200 keys each at the same time lose nothing', async () => {
    const db = path.join(tmp, 'concurrent.db');
    const driver = path.join(tmp, 'writer.mjs');
    await writeFile(
      driver,
      `import { StateStore } from ${JSON.stringify(path.join(ROOT, 'lib/core/state/store.js'))};
const [db, prefix] = process.argv.slice(2);
const s = StateStore.open(db);
for (let i = 0; i < 200; i++) {
  s.set(prefix + ':' + String(i).padStart(3, '0'), 'value ' + i);
  s.set('shared:counter-' + prefix, String(i));
}
s.close();
`,
    );
    const runWriter = (prefix: string) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, [driver, db, prefix], { stdio: ['ignore', 'ignore', 'inherit'] });
        p.on('close', resolve);
      });
    const codes = await Promise.all([runWriter('a'), runWriter('b')]);
    expect(codes).toEqual([0, 0]);
    const s = StateStore.open(db);
    try {
      expect(s.list(['a:*']).length).toBe(200);
      expect(s.list(['b:*']).length).toBe(200);
      expect(s.get('a:199')?.value).toBe('value 199');
      expect(s.list(['shared:*']).map((e) => e.value)).toEqual(['199', '199']);
    } finally {
      s.close();
    }
  });

  it('a new database opened by several processes at the same instant opens in every one of them', async () => {
    // Switching a new file to WAL can fail with SQLITE_BUSY without SQLite calling the busy handler; without
    // the store's own retry, 2 runs in 3 of this test failed here (and CI once failed the test above).
    const driver = path.join(tmp, 'opener.mjs');
    await writeFile(
      driver,
      `import { StateStore } from ${JSON.stringify(path.join(ROOT, 'lib/core/state/store.js'))};
const [db, at] = process.argv.slice(2);
while (Date.now() < Number(at));
const s = StateStore.open(db);
s.set('opened:' + process.pid, 'yes');
s.close();
`,
    );
    const failures: string[] = [];
    for (let round = 0; round < 12; round++) {
      const db = path.join(tmp, `fresh-${round}.db`);
      // Every process spins until the same instant, then opens: the switch to WAL races for real.
      const at = String(Date.now() + 300);
      const results = await Promise.all(
        [0, 1, 2, 3, 4, 5].map(
          () =>
            new Promise<{ code: number | null; err: string }>((resolve) => {
              const p = spawn(process.execPath, [driver, db, at], { stdio: ['ignore', 'ignore', 'pipe'] });
              let err = '';
              p.stderr.on('data', (d: Buffer) => (err += d.toString()));
              p.on('close', (code) => resolve({ code, err }));
            }),
        ),
      );
      for (const r of results) if (r.code !== 0) failures.push(r.err.split('\n').slice(0, 3).join(' '));
      const s = StateStore.open(db);
      try {
        expect(s.list(['opened:*'])).toHaveLength(6 - results.filter((r) => r.code !== 0).length);
      } finally {
        s.close();
      }
    }
    expect(failures).toEqual([]);
  });
});
