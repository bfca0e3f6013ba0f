// A failing gateway health check after the switch: automatic rollback, alert, reload, and the record of it.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveTree, recorder, until, type Recorder } from '../engine/helpers.js';
import { startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle } from '../support/release.js';

const key = ed25519Key();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  rx: ReceiverProcess;
  gateway: Recorder;
  alerts: Recorder;
}

/** Each test gets its own gateway, alert hook and receiver, with one healthy release live. */
async function withGoodRelease(): Promise<Setup> {
  const gateway = await recorder(200);
  const alerts = await recorder(200);
  cleanups.push(
    () => gateway.close(),
    () => alerts.close(),
  );
  const rx = await startReceiver({
    env: {
      SKILL_SYNC_PUBLIC_KEYS: key.publicKeys,
      HEALTHCHECK_URL: `${gateway.url}/healthz`,
      HEALTHCHECK_RETRIES: '2',
      HEALTHCHECK_INTERVAL_MS: '50',
      HEALTHCHECK_TIMEOUT_MS: '1000',
      RELOAD_URL: `${gateway.url}/reload`,
      ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
    },
  });
  cleanups.push(() => rx.stop());
  const good = await buildRelease({ steady: { version: '1.0.0' } }, key.signing);
  expect((await postBundle(rx.url, good)).status).toBe(201);
  return { rx, gateway, alerts };
}

/** A release that the (now unhealthy) gateway refuses: pushed, rolled back. */
async function pushBad({ rx, gateway }: Setup) {
  gateway.status = 500;
  gateway.calls.length = 0;
  const bad = await buildRelease(
    { steady: { version: '2.0.0', body: '# breaks the gateway\n' } },
    key.signing,
  );
  return { bad, res: await postBundle(rx.url, bad) };
}

describe('health check and rollback', () => {
  it('reloads the gateway and checks its health after a switch', async () => {
    const { gateway } = await withGoodRelease();
    expect(gateway.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /reload', 'GET /healthz']);
  });

  it('rolls back when the gateway turns unhealthy, alerts, and records rolled_back', async () => {
    const setup = await withGoodRelease();
    const { rx, gateway, alerts } = setup;
    const before = await liveTree(path.join(rx.dataDir, 'skills'));
    const { bad, res } = await pushBad(setup);
    expect(res.status).toBe(424);
    expect(res.json).toMatchObject({ status: 'rolled_back', error: { code: 'health-check-failed' } });
    expect(await liveTree(path.join(rx.dataDir, 'skills'))).toEqual(before);
    // Reloaded for the switch, health probed 1 + 2 retries, then reloaded again after switching back.
    expect(gateway.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /reload',
      'GET /healthz',
      'GET /healthz',
      'GET /healthz',
      'POST /reload',
    ]);
    await until(() => alerts.calls.length > 0, 'alert webhook');
    const alert = JSON.parse(alerts.calls[0]!.body) as { text: string; content: string };
    expect(alert.text).toMatch(/roll/i);
    expect(alert.content).toBe(alert.text);

    const health = (await (await fetch(`${rx.url}/health`)).json()) as { lastDeployment: { status: string } };
    expect(health.lastDeployment.status).toBe('rolled_back');
    const audit = (await readFile(path.join(rx.dataDir, 'skill-sync/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(JSON.parse(audit.at(-1)!)).toMatchObject({ status: 'rolled_back', serial: bad.payload.serial });
    const metrics = await (await fetch(`${rx.url}/metrics`)).text();
    expect(metrics).toMatch(/skill_sync_health_failures_total 1/);
    expect(metrics).toMatch(/skill_sync_deployments_total\{status="rolled_back",trigger="webhook"\} 1/);
  });

  it('does not re-apply the refused envelope, but accepts a fixed release', async () => {
    const setup = await withGoodRelease();
    const { rx, gateway } = setup;
    const { bad, res } = await pushBad(setup);
    expect(res.status).toBe(424);
    gateway.status = 200;
    const again = await postBundle(rx.url, bad);
    expect(again.status).toBe(409);
    expect((again.json.error as { code: string }).code).toBe('previously-refused');
    const fixed = await buildRelease({ steady: { version: '2.0.1' } }, key.signing);
    expect((await postBundle(rx.url, fixed)).status).toBe(201);
    const s = await stat(path.join(rx.dataDir, 'skills/steady/SKILL.md'));
    expect(s.isFile()).toBe(true);
  });
});
