// End to end with the real gateway: the built Action deploys to a receiver whose live folder the gateway loads.
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayReport } from '../../core/gateway/report.js';
import type { GatewayClient, SkillsStatus } from '../../receiver/gateway/client.js';
import { ensureDist, REPO } from '../action/harness.js';
import { actionLog, auditLines, Cleanup, pushDeploy, receiverFor } from '../e2e/kit.js';
import { startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SkillSpec } from '../support/release.js';
import { startGateway, type RunningGateway } from '../../scripts/gateway/process.js';
import { SHAPE_MAX_FILE_SIZE, SHAPE_SKILLS, writeUserRepoShape } from '../support/user-repo.js';
import { SECOND_PASS } from '../support/ci-pass.js';

// The gateway always runs on Node 24 (scripts/node24.sh); CI's second pass (every test again on Node 24) would
// only repeat the same two processes, so these suites run in the first pass only (docs/decisions.md).

const key = ed25519Key();
const cleanup = new Cleanup();
let gw: RunningGateway;
/** Serials just above the clock, like the Action's (which uses the time), so both kinds keep increasing. */
let lastSerial = 0;
const nextSerial = (): number => (lastSerial = Math.max(lastSerial + 1, Date.now()));
let dataDir: string;

interface Deployed {
  status: number;
  json: { status: string; error?: { code: string }; gateway?: GatewayReport };
}

function receiverEnv(extra: Record<string, string>): Record<string, string> {
  return {
    SKILLS_DIR: gw.liveDir,
    OPENCLAW_GATEWAY_URL: gw.url,
    OPENCLAW_GATEWAY_TOKEN: gw.token,
    MAX_FILE_SIZE: String(SHAPE_MAX_FILE_SIZE),
    // examples/skills write their SYNC.json outputs under /data/workspace, as on Railway.
    SYNC_DATA_ROOT: '/data',
    ...extra,
  };
}

async function receiver(extra: Record<string, string>): Promise<ReceiverProcess> {
  return receiverFor(key, cleanup, { dataDir, env: receiverEnv(extra) });
}

/** Our skills as the gateway lists them: name → [description, folder], only those served from the live folder. */
function fromLive(st: SkillsStatus): Map<string, { description?: string; baseDir: string; source: string }> {
  return new Map(
    st.skills
      .filter((s) => s.baseDir.includes(`${path.sep}skill-sync${path.sep}`) || s.baseDir.includes('releases'))
      .map((s) => [s.name, { description: s.description, baseDir: s.baseDir, source: s.source }]),
  );
}

async function lastAudit(): Promise<{ status: string; gateway?: GatewayReport; error?: string }> {
  const lines = (await auditLines(dataDir)) as { status: string; gateway?: GatewayReport; error?: string }[];
  return lines[lines.length - 1]!;
}

describe.skipIf(SECOND_PASS)('deploys verified by the real OpenClaw gateway', () => {
  beforeAll(async () => {
    await ensureDist();
    gw = await startGateway();
    dataDir = await tempDir('skill-sync-gw-data-');
  }, 120_000);
  afterAll(async () => {
    await cleanup.run();
    await gw?.stop();
  });

  it('report mode: the Action deploys examples/skills, then the user-repo shape; the gateway serves every new version', async () => {
    const rx = await receiver({ GATEWAY_CHECK: 'report', DEPLOY_STRATEGY: 'in-place' });
    const ws = await tempDir('skill-sync-gw-ws-');
    await cp(path.join(REPO, 'examples', 'skills'), path.join(ws, 'skills'), { recursive: true });
    const run = await pushDeploy(ws, [rx], key);
    expect(run.code, actionLog(run)).toBe(0);
    const examples = (await readdir(path.join(ws, 'skills'))).sort();
    let record = await lastAudit();
    expect(record.status).toBe('success');
    expect(record.gateway?.result).toBe('pass');
    expect(record.gateway?.skills.map((s) => s.name).sort()).toEqual(examples);
    expect(record.gateway?.skills.every((s) => s.state === 'loaded' || s.state === 'not_eligible')).toBe(
      true,
    );
    let live = fromLive(await gw.status());
    for (const name of examples) expect(live.get(name)?.baseDir, name).toBe(path.join(gw.liveDir, name));

    // The user's repo shape: 64 skills with large assets, and `skill-creator`, which the gateway also bundles.
    const shape = await tempDir('skill-sync-gw-shape-');
    await writeUserRepoShape(shape, 'deploy A');
    const run2 = await pushDeploy(shape, [rx], key, {
      inputs: { 'max-file-size': String(SHAPE_MAX_FILE_SIZE) },
    });
    expect(run2.code, actionLog(run2)).toBe(0);
    record = await lastAudit();
    expect(record.gateway?.result, record.gateway?.problem).toBe('pass');
    expect(record.gateway?.skills).toHaveLength(SHAPE_SKILLS.length);
    expect(record.gateway?.skills.find((s) => s.name === 'skill-creator')?.state).toBe('loaded');
    live = fromLive(await gw.status());
    for (const folder of SHAPE_SKILLS) {
      const name = path.basename(folder);
      expect(live.get(name)?.description, name).toBe(`${name} for the kurultai council (deploy A)`);
    }
    // The deployed skill-creator wins over the bundled one; the examples the deploy removed are gone.
    expect(live.get('skill-creator')?.source).toBe('openclaw-managed');
    for (const name of examples) expect(live.has(name), name).toBe(false);

    // A new version of every skill: the gateway serves all of them once the receiver has answered.
    const shapeB = await tempDir('skill-sync-gw-shape-');
    await writeUserRepoShape(shapeB, 'deploy B');
    const run3 = await pushDeploy(shapeB, [rx], key, {
      inputs: { 'max-file-size': String(SHAPE_MAX_FILE_SIZE) },
    });
    expect(run3.code, actionLog(run3)).toBe(0);
    expect((await lastAudit()).gateway?.result).toBe('pass');
    live = fromLive(await gw.status());
    for (const folder of SHAPE_SKILLS) {
      const name = path.basename(folder);
      expect(live.get(name)?.description, name).toBe(`${name} for the kurultai council (deploy B)`);
    }

    // /health shows each skill's verdict for the last deployment; /metrics counts the checks.
    const health = (await (await fetch(`${rx.url}/health`)).json()) as {
      lastDeployment: { gateway?: GatewayReport };
      services: { gateway: { mode: string; last: string } };
    };
    expect(health.services.gateway).toEqual({ mode: 'report', last: 'pass' });
    expect(health.lastDeployment.gateway?.skills).toHaveLength(SHAPE_SKILLS.length);
    const metrics = await (await fetch(`${rx.url}/metrics`)).text();
    expect(metrics).toMatch(/skill_sync_gateway_checks_total\{result="pass"\} 3/);
    expect(metrics).toMatch(
      new RegExp(`skill_sync_gateway_skills\\{state="loaded"\\} ${SHAPE_SKILLS.length}`),
    );
    expect(rx.output()).not.toContain(gw.token);
    expect(await readFile(path.join(dataDir, 'skill-sync', 'audit.jsonl'), 'utf8')).not.toContain(gw.token);
    await rx.stop();
  });

  for (const strategy of ['in-place', 'symlink'] as const) {
    it(`${strategy}: during 20 deploys skills.status never shows a mixed set`, async () => {
      const rx = await receiver({ GATEWAY_CHECK: 'enforce', DEPLOY_STRATEGY: strategy });
      // As many skills as the user's repo, so the in-place switch writes 64 SKILL.md files per deploy.
      const names = Array.from({ length: 64 }, (_, i) => `mix-${String(i).padStart(2, '0')}`);
      const setFor = (n: number): Record<string, SkillSpec> =>
        Object.fromEntries(
          names.map((name) => [name, { description: `${name} at deploy ${n}`, body: `Body ${n}.\n` }]),
        );
      // Sample as fast as the gateway answers, on one connection, for the whole run.
      const client: GatewayClient = await gw.connect();
      const samples: number[][] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const st = await client.skillsStatus();
          const seen = names.map((name) => {
            const s = st.skills.find((g) => g.name === name);
            const m = /at deploy (\d+)$/.exec(s?.description ?? '');
            return m ? Number(m[1]) : -1;
          });
          samples.push(seen);
        }
      })();
      for (let n = 1; n <= 20; n++) {
        const rel = await buildRelease(setFor(n), key.signing, { serial: nextSerial() });
        const res = (await postBundle(rx.url, rel)) as Deployed;
        expect(res.status, JSON.stringify(res.json)).toBe(201);
        expect(res.json.gateway?.result).toBe('pass');
      }
      sampling = false;
      await sampler;
      client.close();
      const ours = samples.filter((s) => s.some((v) => v > 0));
      expect(ours.length).toBeGreaterThan(20);
      const mixed = ours.filter((s) => new Set(s).size !== 1);
      expect(mixed, `mixed samples: ${JSON.stringify(mixed.slice(0, 5))}`).toEqual([]);
      expect(ours[ours.length - 1]).toEqual(names.map(() => 20));
      await rx.stop();
    }, 180_000);
  }

  it('enforce: a deployed skill shadowed by a workspace skill rolls back and names the winner', async () => {
    const rx = await receiver({
      GATEWAY_CHECK: 'enforce',
      DEPLOY_STRATEGY: 'symlink',
      GATEWAY_SETTLE_TIMEOUT_MS: '4000',
    });
    const st = await gw.status();
    const workspace = st.workspaceDir!;
    await mkdir(path.join(workspace, 'skills', 'mix-00'), { recursive: true });
    await writeFile(
      path.join(workspace, 'skills', 'mix-00', 'SKILL.md'),
      "---\nname: mix-00\ndescription: the operator's own\n---\n",
    );
    const before = await lastAudit();
    const rel = await buildRelease({ 'mix-00': { description: 'mix-00 at deploy 99' } }, key.signing, {
      serial: nextSerial(),
    });
    const res = (await postBundle(rx.url, rel)) as Deployed;
    expect(res.status, JSON.stringify(res.json)).toBe(424);
    expect(res.json.error?.code).toBe('gateway-check-failed');
    const verdict = res.json.gateway?.skills.find((s) => s.name === 'mix-00');
    expect(verdict?.state).toBe('shadowed');
    expect(verdict?.shadowedBy?.source).toBe('openclaw-workspace');
    const record = await lastAudit();
    expect(record.status).toBe('rolled_back');
    expect(record).not.toEqual(before);
    await rm(path.join(workspace, 'skills', 'mix-00'), { recursive: true, force: true });
    await rx.stop();
  });

  it("enforce: a skill missing a bin is not_eligible but served; a deploy that pushes the operator's skill out rolls back", async () => {
    const rx = await receiver({
      GATEWAY_CHECK: 'enforce',
      DEPLOY_STRATEGY: 'in-place',
      GATEWAY_SETTLE_TIMEOUT_MS: '5000',
    });
    const src = await tempDir('skill-sync-gw-bin-');
    await mkdir(path.join(src, 'skills', 'needs-bin'), { recursive: true });
    await writeFile(
      path.join(src, 'skills', 'needs-bin', 'SKILL.md'),
      '---\nname: needs-bin\ndescription: needs a bin this host lacks\n' +
        'metadata: {"openclaw": {"requires": {"bins": ["definitely-missing-bin"]}}}\n---\n',
    );
    const run = await pushDeploy(src, [rx], key);
    const record = await lastAudit();
    expect(run.code, `${actionLog(run)}\n${JSON.stringify(record)}`).toBe(0);
    expect(record.gateway?.result, record.gateway?.problem).toBe('pass');
    expect(record.gateway?.skills).toEqual([
      { name: 'needs-bin', state: 'not_eligible', missing: ['bins: definitely-missing-bin'] },
    ]);

    // The operator's own skill next to skill-sync's folder (as `openclaw skills install --global` puts it).
    const own = path.join(gw.stateDir, 'skills', 'zz-hand-installed');
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, 'SKILL.md'), '---\nname: zz-hand-installed\ndescription: mine\n---\n');
    const client = await gw.connect();
    while (!(await client.skillsStatus()).skills.some((s) => s.name === 'zz-hand-installed'));
    client.close();
    // 200 deployed skills fill the gateway's 200-skills-per-source cap, which then drops the operator's skill.
    const many = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [
        `cap-${String(i).padStart(3, '0')}`,
        { description: `cap ${i}` },
      ]),
    );
    const big = await buildRelease(many, key.signing, { serial: nextSerial() });
    const res = (await postBundle(rx.url, big)) as Deployed;
    expect(res.status, JSON.stringify(res.json).slice(0, 2000)).toBe(424);
    expect(res.json.error?.code).toBe('gateway-check-failed');
    expect(res.json.gateway?.missing).toContain('zz-hand-installed');
    expect(await readFile(path.join(own, 'SKILL.md'), 'utf8')).toContain('mine');
    await rm(own, { recursive: true, force: true });
    await rx.stop();
  });

  it('with the gateway stopped: enforce rolls back, report records unknown and keeps the deploy', async () => {
    await gw.stop();
    const enforce = await receiver({
      GATEWAY_CHECK: 'enforce',
      DEPLOY_STRATEGY: 'symlink',
      GATEWAY_SETTLE_TIMEOUT_MS: '1500',
    });
    const liveBefore = await readlinkOrNull(gw.liveDir);
    const rel = await buildRelease(
      { 'mix-00': { description: 'mix-00 while the gateway is down' } },
      key.signing,
      {
        serial: nextSerial(),
      },
    );
    const res = (await postBundle(enforce.url, rel)) as Deployed;
    expect(res.status, JSON.stringify(res.json)).toBe(424);
    expect(res.json.gateway?.result).toBe('unknown');
    expect(await readlinkOrNull(gw.liveDir)).toBe(liveBefore);
    expect((await lastAudit()).status).toBe('rolled_back');
    await enforce.stop();

    const report = await receiver({ GATEWAY_CHECK: 'report', DEPLOY_STRATEGY: 'symlink' });
    const rel2 = await buildRelease(
      { 'mix-00': { description: 'mix-00 reported while down' } },
      key.signing,
      {
        serial: nextSerial(),
      },
    );
    const res2 = (await postBundle(report.url, rel2)) as Deployed;
    expect(res2.status, JSON.stringify(res2.json)).toBe(201);
    expect(res2.json.gateway?.result).toBe('unknown');
    expect((await lastAudit()).gateway?.result).toBe('unknown');
    await report.stop();
  });
});

async function readlinkOrNull(p: string): Promise<string | null> {
  const { readlink } = await import('node:fs/promises');
  return readlink(p).catch(() => null);
}

describe('placement: the receiver never adopts a folder it did not deploy', () => {
  it('a receiver process refuses to start on a skills folder holding files it did not deploy, and leaves them', async () => {
    const root = await tempDir('skill-sync-foreign-');
    const live = path.join(root, 'skills');
    await mkdir(path.join(live, 'installed-by-hand'), { recursive: true });
    await writeFile(
      path.join(live, 'installed-by-hand', 'SKILL.md'),
      '---\nname: installed-by-hand\ndescription: mine\n---\n',
    );
    const start = startReceiver({
      dataDir: path.join(root, 'data'),
      env: { SKILLS_DIR: live, SKILL_SYNC_PUBLIC_KEYS: key.publicKeys },
    });
    await expect(start).rejects.toThrow(/did not deploy \(installed-by-hand\)/);
    expect(await readFile(path.join(live, 'installed-by-hand', 'SKILL.md'), 'utf8')).toContain(
      'description: mine',
    );
    expect(await readdir(path.join(root, 'data', 'skill-sync', 'releases'))).toEqual([]);
  });
});
