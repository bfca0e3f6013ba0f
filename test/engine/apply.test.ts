// Apply engine, in process: apply, switch strategies, rollback, pruning, health failure, reload and alert hooks.
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine, type EngineConfig } from '../../receiver/engine/index.js';
import {
  A,
  B,
  C,
  expectedTree,
  liveTree,
  metaFor,
  recorder,
  tempDir,
  until,
  writeBundleTree,
  type Recorder,
  type TreeSpec,
  removeTempDirs,
} from './helpers.js';

afterAll(removeTempDirs);

const open: Engine[] = [];
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(strategy: EngineConfig['strategy'], extra: Partial<EngineConfig> = {}) {
  const dataDir = await tempDir();
  const cfg: EngineConfig = {
    dataDir,
    skillsDir: path.join(dataDir, 'skills'),
    strategy,
    keepReleases: 10,
    ...extra,
  };
  const engine = await Engine.open(cfg);
  open.push(engine);
  return { engine, cfg, dataDir };
}

async function deploy(engine: Engine, spec: TreeSpec, serial: number, id?: string) {
  const staging = await engine.newStaging();
  const manifest = await writeBundleTree(staging, spec);
  return engine.exclusive(() => engine.apply(staging, manifest, metaFor(serial, spec, id)));
}

describe.each(['symlink', 'in-place'] as const)('%s strategy', (strategy) => {
  it('applies a bundle: the live tree equals the manifest exactly', async () => {
    const { engine, cfg } = await setup(strategy);
    const r = await deploy(engine, A, 1);
    expect(r.status).toBe('success');
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(A));
    expect(await engine.verifyLive()).toEqual([]);
    expect(engine.live()?.serial).toBe(1);
    expect(engine.highestSerial()).toMatchObject({ serial: 1, outcome: 'success' });
    const st = await lstat(cfg.skillsDir);
    expect(st.isSymbolicLink()).toBe(strategy === 'symlink');
    // State survives a restart.
    await engine.close();
    const again = await Engine.open(cfg);
    open.push(again);
    expect(again.live()?.deploymentId).toBe(r.live?.deploymentId);
    expect(await again.verifyLive()).toEqual([]);
  });

  it('what it reports as live never goes back while a deploy commits (no flicker to the old set)', async () => {
    const { engine } = await setup(strategy);
    await deploy(engine, A, 1);
    const seen: (number | null)[] = [];
    let done = false;
    // Sample as often as the event loop lets an HTTP handler run: every turn, between the engine's awaits.
    const sample = (): void => {
      seen.push(engine.live()?.serial ?? null);
      if (!done) setImmediate(sample);
    };
    sample();
    const r = await deploy(engine, B, 2);
    done = true;
    expect(r.status).toBe('success');
    const first2 = seen.indexOf(2);
    expect(first2).toBeGreaterThan(-1);
    // Before, the state went back to serial 1 between the check and the write of state.json.
    expect(seen.slice(first2).every((s) => s === 2)).toBe(true);
  });

  it('applies changed, added and removed skills, then files that lose their exec bit', async () => {
    const { engine, cfg } = await setup(strategy);
    await deploy(engine, A, 1);
    expect((await deploy(engine, B, 2)).status).toBe('success');
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(B));
    expect((await deploy(engine, C, 3)).status).toBe('success');
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(C));
    const rel = await engine.releases();
    expect(rel.map((r) => r.serial)).toEqual([3, 2, 1]);
    expect(rel.map((r) => r.live)).toEqual([true, false, false]);
  });

  it('rolls back to the previous release, further back, and to a given id', async () => {
    const { engine, cfg } = await setup(strategy);
    const a = await deploy(engine, A, 1);
    await deploy(engine, B, 2);
    await deploy(engine, C, 3);
    const r1 = await engine.exclusive(() =>
      engine.rollback(undefined, { deploymentId: 'rb-1', trigger: 'manual' }),
    );
    expect(r1).toMatchObject({ status: 'success', deploymentId: 'rb-1' });
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(B));
    await engine.exclusive(() => engine.rollback(undefined, { deploymentId: 'rb-2', trigger: 'manual' }));
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(A));
    await expect(
      engine.exclusive(() => engine.rollback(undefined, { deploymentId: 'rb-3', trigger: 'manual' })),
    ).rejects.toMatchObject({ code: 'ENGINE_NO_PREVIOUS' });
    const newest = (await engine.releases())[0]!.deploymentId;
    await engine.exclusive(() => engine.rollback(newest, { deploymentId: 'rb-4', trigger: 'manual' }));
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(C));
    await engine.exclusive(() =>
      engine.rollback(a.live!.deploymentId, { deploymentId: 'rb-5', trigger: 'manual' }),
    );
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(A));
    // A rollback never lowers the replay watermark.
    expect(engine.highestSerial()?.serial).toBe(3);
    await expect(
      engine.exclusive(() => engine.rollback('nope', { deploymentId: 'rb-6', trigger: 'manual' })),
    ).rejects.toMatchObject({ code: 'ENGINE_UNKNOWN_RELEASE' });
  });

  it('keeps only keepReleases releases, always including live and previous', async () => {
    const { engine, dataDir } = await setup(strategy, { keepReleases: 2 });
    const specs = [A, B, C, A, B];
    for (let i = 0; i < specs.length; i++) await deploy(engine, specs[i]!, i + 1);
    const rel = await engine.releases();
    expect(rel.map((r) => r.serial)).toEqual([5, 4]);
    const onDisk = await readdir(path.join(dataDir, 'skill-sync', 'releases'));
    expect(onDisk.sort()).toEqual(rel.map((r) => r.deploymentId).sort());
    // After rolling back to the oldest kept release, the next deploy still keeps it: it was live before.
    await engine.exclusive(() => engine.rollback(undefined, { deploymentId: 'rb', trigger: 'manual' }));
    await deploy(engine, C, 6);
    expect((await engine.releases()).map((r) => r.serial)).toEqual([6, 5, 4]);
    expect(
      await engine.exclusive(() => engine.rollback(undefined, { deploymentId: 'rb2', trigger: 'manual' })),
    ).toMatchObject({ live: { serial: 5 } });
  });

  it('rolls back when the health check fails, reloads twice and alerts in Slack and Discord fields', async () => {
    const health = await recorder(200);
    const reload = await recorder(200);
    const alert = await recorder(200);
    servers.push(health, reload, alert);
    const dataDir = await tempDir();
    const reloadFile = path.join(dataDir, 'reload.touch');
    const { engine, cfg } = await setup(strategy, {
      reload: { url: `${reload.url}/reload`, file: reloadFile, timeoutMs: 2000 },
      health: { url: `${health.url}/health`, timeoutMs: 1000, retries: 2, intervalMs: 10 },
      alertUrl: `${alert.url}/hook`,
    });
    expect((await deploy(engine, A, 1)).status).toBe('success');
    expect(reload.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    const touched1 = (await stat(reloadFile)).mtimeMs;
    health.status = 500;
    const r = await deploy(engine, B, 2);
    expect(r.status).toBe('rolled_back');
    expect(r.error).toMatch(/answered 500 \(after 3 attempts\)/);
    expect(health.calls.length).toBe(1 + 3);
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(A));
    expect(engine.live()?.serial).toBe(1);
    expect(await engine.verifyLive()).toEqual([]);
    // The refused serial counts as seen: the same envelope cannot be replayed into the same failure.
    expect(engine.highestSerial()).toMatchObject({ serial: 2, outcome: 'rolled_back' });
    // Deploy, then the switch back: two reloads since the first deploy.
    expect(reload.calls.filter((c) => c.method === 'POST')).toHaveLength(3);
    expect(JSON.parse(reload.calls[2]!.body)).toMatchObject({ reason: 'rollback' });
    expect((await stat(reloadFile)).mtimeMs).toBeGreaterThanOrEqual(touched1);
    await until(() => alert.calls.length === 1, 'the alert');
    const body = JSON.parse(alert.calls[0]!.body) as Record<string, unknown>;
    expect(body.text).toMatch(/failed: .*Rolled back to/);
    expect(body.content).toBe(body.text);
    expect(body).toMatchObject({ status: 'rolled_back', serial: 2 });
    // The refused release is gone; the next healthy deploy goes through.
    expect((await engine.releases()).map((x) => x.serial)).toEqual([1]);
    health.status = 204;
    expect((await deploy(engine, C, 3)).status).toBe('success');
    expect(await liveTree(cfg.skillsDir)).toEqual(expectedTree(C));
  });

  it('fails a first deploy that is unhealthy and leaves nothing live', async () => {
    const health = await recorder(503);
    servers.push(health);
    const { engine, cfg } = await setup(strategy, {
      health: { url: health.url, timeoutMs: 500, retries: 0, intervalMs: 1 },
    });
    const r = await deploy(engine, A, 1);
    expect(r).toMatchObject({ status: 'failed', live: null });
    expect(await liveTree(cfg.skillsDir)).toEqual({});
    expect(engine.live()).toBeNull();
  });

  it('verifyLive reports a tampered, an extra and a missing file', async () => {
    const { engine, cfg } = await setup(strategy);
    await deploy(engine, A, 1);
    const live = cfg.skillsDir;
    await writeFile(path.join(live, 'alpha/SKILL.md'), 'tampered');
    await writeFile(path.join(live, 'beta/extra.md'), 'extra');
    await (await import('node:fs/promises')).rm(path.join(live, 'beta/references/notes.md'));
    const problems = await engine.verifyLive();
    expect(problems).toEqual(
      expect.arrayContaining(['extra: beta/extra.md', 'missing: beta/references/notes.md']),
    );
    expect(problems.some((p) => p.endsWith('alpha/SKILL.md'))).toBe(true);
  });

  it('refuses to start on a live folder holding skills it did not deploy, and leaves them untouched', async () => {
    const dataDir = await tempDir();
    const skillsDir = path.join(dataDir, 'skills');
    await mkdir(path.join(skillsDir, 'legacy'), { recursive: true });
    await writeFile(path.join(skillsDir, 'legacy', 'SKILL.md'), 'hand-copied\n');
    await writeFile(path.join(skillsDir, 'README.md'), 'not a skill');
    await expect(Engine.open({ dataDir, skillsDir, strategy })).rejects.toMatchObject({
      code: 'ENGINE_FOREIGN_LIVE',
      message: expect.stringContaining('legacy'),
    });
    expect(await readFile(path.join(skillsDir, 'legacy', 'SKILL.md'), 'utf8')).toBe('hand-copied\n');
    expect(await readFile(path.join(skillsDir, 'README.md'), 'utf8')).toBe('not a skill');
    expect(await readdir(path.join(dataDir, 'skill-sync', 'releases'))).toEqual([]);
  });
});

describe('in-place strategy', () => {
  it("writes each changed skill's SKILL.md after the skill's other files, and removals last", async () => {
    const { engine, cfg } = await setup('in-place');
    await deploy(engine, A, 1);
    const { planInPlace } = await import('../../receiver/engine/in-place-switch.js');
    const staging = await engine.newStaging();
    const manifest = await writeBundleTree(staging, B);
    const plan = await planInPlace(cfg.skillsDir, manifest);
    expect(plan).toEqual([
      { op: 'write', path: 'alpha/scripts/run.sh' },
      { op: 'write', path: 'alpha/SKILL.md' },
      { op: 'write', path: 'gamma/assets/x.txt' },
      { op: 'write', path: 'gamma/SKILL.md' },
      { op: 'remove', path: 'beta' },
    ]);
    // And on disk: SKILL.md is never older than its siblings written in the same deploy.
    await engine.exclusive(() => engine.apply(staging, manifest, metaFor(2, B)));
    for (const skill of ['alpha', 'gamma']) {
      const md = (await stat(path.join(cfg.skillsDir, skill, 'SKILL.md'), { bigint: true })).mtimeNs;
      const other = skill === 'alpha' ? 'scripts/run.sh' : 'assets/x.txt';
      expect(md >= (await stat(path.join(cfg.skillsDir, skill, other), { bigint: true })).mtimeNs).toBe(true);
    }
    // Unchanged skills are not touched at all.
    const again = await planInPlace(cfg.skillsDir, manifest);
    expect(again).toEqual([]);
  });
});
