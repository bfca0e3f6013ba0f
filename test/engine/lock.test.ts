// One deployment at a time: in-process FIFO, the cross-process lock file, stale-lock recovery, misuse errors.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../receiver/engine/index.js';
import { A, metaFor, tempDir, until, writeBundleTree, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const open: Engine[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function engineIn(dataDir: string, said: string[] = []): Promise<Engine> {
  const note = (_obj: object, msg?: string) => void said.push(msg ?? '');
  const log = { info: note, warn: note, error: note };
  const e = await Engine.open({ dataDir, skillsDir: path.join(dataDir, 'skills'), strategy: 'symlink', log });
  open.push(e);
  return e;
}

/** Pid of a process that has exited: a lock it "held" is a dead owner's. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  return pid;
}

describe('exclusive()', () => {
  it('runs jobs in arrival order and never two at once, even when some fail', async () => {
    const engine = await engineIn(await tempDir());
    const order: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const jobs = Array.from({ length: 12 }, (_, i) =>
      engine
        .exclusive(async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          order.push(i);
          running--;
          if (i % 4 === 3) throw new Error(`job ${i} fails`);
          return i;
        })
        .catch((err: Error) => err.message),
    );
    const results = await Promise.all(jobs);
    expect(order).toEqual([...Array(12).keys()]);
    expect(maxRunning).toBe(1);
    expect(results[3]).toBe('job 3 fails');
    expect(results[4]).toBe(4);
  });

  it('holds the lock file with our pid while a job runs, and removes it after', async () => {
    const dataDir = await tempDir();
    const said: string[] = [];
    const engine = await engineIn(dataDir, said);
    const lockFile = path.join(dataDir, 'skill-sync', 'lock');
    const inside = await engine.exclusive(
      async () => JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number },
    );
    expect(inside.pid).toBe(process.pid);
    await expect(readFile(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses apply/rollback outside exclusive() and a nested exclusive()', async () => {
    const engine = await engineIn(await tempDir());
    const staging = await engine.newStaging();
    const m = await writeBundleTree(staging, A);
    await expect(engine.apply(staging, m, metaFor(1, A))).rejects.toMatchObject({
      code: 'ENGINE_NOT_EXCLUSIVE',
    });
    await expect(engine.rollback(undefined, { deploymentId: 'x', trigger: 'manual' })).rejects.toMatchObject({
      code: 'ENGINE_NOT_EXCLUSIVE',
    });
    await expect(engine.exclusive(() => engine.exclusive(async () => 1))).rejects.toMatchObject({
      code: 'ENGINE_NESTED',
    });
    await expect(
      engine.exclusive(() => engine.apply(staging, m, metaFor(1, A, '../evil'))),
    ).rejects.toMatchObject({
      code: 'ENGINE_BAD_ID',
    });
  });

  it('takes over a stale lock whose owner pid is dead', async () => {
    const dataDir = await tempDir();
    await engineIn(dataDir).then((e) => e.close());
    const lockFile = path.join(dataDir, 'skill-sync', 'lock');
    const pid = await deadPid();
    await writeFile(lockFile, JSON.stringify({ pid, createdAt: new Date().toISOString(), token: 'dead' }));
    const engine = await engineIn(dataDir);
    expect(await engine.exclusive(async () => 'ran')).toBe('ran');
    await expect(readFile(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock older than the TTL even if its pid is alive', async () => {
    const dataDir = await tempDir();
    const lockFile = path.join(dataDir, 'skill-sync', 'lock');
    await engineIn(dataDir).then((e) => e.close());
    // pid 1 is alive (init) but the lock is an hour old.
    const old = new Date(Date.now() - 3_600_000);
    await writeFile(lockFile, JSON.stringify({ pid: 1, createdAt: old.toISOString(), token: 'old' }));
    await (await import('node:fs/promises')).utimes(lockFile, old, old);
    const e = await Engine.open({
      dataDir,
      skillsDir: path.join(dataDir, 'skills'),
      strategy: 'symlink',
      lockTtlMs: 60_000,
    });
    open.push(e);
    expect(await e.exclusive(async () => 'ran')).toBe('ran');
  });

  // Linux only: elsewhere there is no boot id, and only the pid and TTL rules apply.
  it.skipIf(!existsSync('/proc/sys/kernel/random/boot_id'))(
    "records host and boot id, and takes over this host's lock from an earlier boot at once",
    async () => {
      const dataDir = await tempDir();
      const lockFile = path.join(dataDir, 'skill-sync', 'lock');
      const engine = await engineIn(dataDir);
      const held = await engine.exclusive(async () => JSON.parse(await readFile(lockFile, 'utf8')) as object);
      expect(held).toMatchObject({ pid: process.pid, host: hostname() });
      // pid 1 is alive now, but the lock names another boot of this host: that pid was a different process.
      await writeFile(
        lockFile,
        JSON.stringify({
          pid: 1,
          host: hostname(),
          bootId: 'an-earlier-boot',
          createdAt: new Date().toISOString(),
          token: 'b',
        }),
      );
      expect(await engine.exclusive(async () => 'ran')).toBe('ran');
    },
  );

  it('waits while another live process holds the lock, then proceeds', async () => {
    const dataDir = await tempDir();
    const said: string[] = [];
    const engine = await engineIn(dataDir, said);
    const lockFile = path.join(dataDir, 'skill-sync', 'lock');
    // Another process takes the lock and holds it until told to let go (a line on stdin).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');fs.writeFileSync(${JSON.stringify(lockFile)},JSON.stringify({pid:process.pid,createdAt:new Date().toISOString(),token:'other'}),{flag:'wx'});` +
          `process.stdout.write('held\\n');process.stdin.once('data',()=>{fs.unlinkSync(${JSON.stringify(lockFile)});process.exit(0)})`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise((r) => holder.stdout.once('data', r));
    let ran = false;
    const job = engine.exclusive(async () => {
      ran = true;
      return JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number };
    });
    // The job is queued behind the other process: the engine found the lock taken and says it waits.
    await until(
      () => said.includes('waiting for the deploy lock held by another process'),
      'the engine to wait',
    );
    expect(ran).toBe(false);
    holder.stdin.write('go\n');
    const owner = await job;
    expect(ran).toBe(true);
    expect(owner.pid).toBe(process.pid);
    await until(() => holder.exitCode !== null, 'the holder to exit');
  });

  it('close() waits for the running job and refuses new ones', async () => {
    const engine = await engineIn(await tempDir());
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = engine.exclusive(async () => {
      started();
      await gate;
      finished = true;
    });
    await running;
    // The job can only finish after close() was called: close() must wait for it.
    const closed = engine.close().then(() => finished);
    setImmediate(release);
    expect(await closed).toBe(true);
    await job;
    await expect(engine.exclusive(async () => 1)).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
  });
});
