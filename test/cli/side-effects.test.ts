// Reads leave nothing behind, and a named-but-missing input is an error rather than a silent default.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-reads-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('no side effects on reads', () => {
  it('state get, list and delete never create a database; set does', async () => {
    const db = path.join(work, 'state', 'state.db');
    const get = await cli(['state', 'get', 'memory:units', '--db', db]);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain("key 'memory:units' is not set");
    const list = await cli(['state', 'list', '--json', '--db', db]);
    expect(list).toMatchObject({ code: 0 });
    expect(JSON.parse(list.stdout)).toEqual([]);
    const del = await cli(['state', 'delete', 'memory:units', '--db', db]);
    expect(del).toMatchObject({ code: 0, stdout: 'memory:units was not set\n' });
    expect(existsSync(path.dirname(db))).toBe(false);

    expect((await cli(['state', 'set', 'memory:units', 'metric', '--db', db])).code).toBe(0);
    expect(existsSync(db)).toBe(true);
    expect(await cli(['state', 'get', 'memory:units', '--db', db])).toMatchObject({
      code: 0,
      stdout: 'metric\n',
    });
  });

  it('publish leaves no temp folder behind (dry run, refused run, and --out keeps its files)', async () => {
    const tmp = path.join(work, 'tmp');
    await mkdir(tmp);
    const repo = path.join(work, 'repo');
    await mkdir(path.join(repo, 'a'), { recursive: true });
    await writeFile(path.join(repo, 'a/SKILL.md'), '---\ndescription: A.\n---\n');
    const env = { TMPDIR: tmp, KEY: 'k'.repeat(40) };
    const dry = await cli(['publish', repo, '--dry-run', '--key-env', 'KEY', '--json'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ outcome: 'ok', skills: 1 });
    // A receiver that refuses: the delivery fails, the temp folder still goes.
    const refusing = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(422, { 'content-type': 'application/json' })
          .end('{"status":"refused","error":{"code":"invalid-skills","message":"no"}}'),
      );
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as { port: number }).port}`;
      const refused = await cli(['publish', repo, '--to', url, '--key-env', 'KEY'], { env });
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stdout).toContain('publish failed');
    } finally {
      refusing.close();
    }
    expect(await readdir(tmp)).toEqual([]);

    const out = path.join(work, 'out');
    const kept = await cli(['publish', repo, '--dry-run', '--key-env', 'KEY', '--out', out, '--json'], {
      env,
    });
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({
      bundle: { file: path.join(out, 'skills.tar.gz') },
      envelopeFile: path.join(out, 'skills.dsse.json'),
    });
    expect((await readdir(out)).sort()).toEqual(['skills.dsse.json', 'skills.tar.gz']);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('--api-key-env naming an unset variable is a usage error, before any request', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const cmd of ['status', 'rollback']) {
        const r = await cli([cmd, '--url', url, '--api-key-env', 'SKILL_SYNC_TEST_UNSET_KEY'], {
          env: { SKILL_SYNC_TEST_UNSET_KEY: undefined },
        });
        expect(r.code, cmd).toBe(2);
        expect(r.stderr).toBe(
          `skill-sync ${cmd}: --api-key-env: environment variable SKILL_SYNC_TEST_UNSET_KEY is empty or unset\n`,
        );
      }
      expect(requests).toBe(0);
      // Without --api-key-env an unset default is fine: status shows health only.
      const health = await cli(['status', '--url', url], { env: { MANUAL_SYNC_API_KEY: undefined } });
      expect(health.code).toBe(0);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('audit with no data directory says so and exits 2', async () => {
    const missing = path.join(work, 'no-such-volume');
    const r = await cli(['audit', '--data-dir', missing]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `skill-sync audit: no data directory at ${missing} (give --data-dir DIR or set DATA_DIR to the receiver's volume)\n`,
    );
    const env = await cli(['audit', '--json'], { env: { DATA_DIR: missing, NEO4J_URI: undefined } });
    expect(env.code).toBe(2);
    expect(JSON.parse(env.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(existsSync(missing)).toBe(false);
  });
});
