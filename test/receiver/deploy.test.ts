// Receiver as a real process: deploy, state, replay rules, rollback API, metrics, audit file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTree } from '../engine/helpers.js';
import { API_KEY, startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';

const key = ed25519Key();
const A = {
  alpha: { version: '1.0.0' },
  beta: { version: '2.0.0', files: { 'scripts/run.sh': '#!/bin/sh\necho hi\n' } },
};
const B = { alpha: { version: '1.1.0', body: '# alpha v1.1\n' }, gamma: { version: '0.1.0' } };

let relA: SignedRelease;
let relB: SignedRelease;

beforeAll(async () => {
  relA = await buildRelease(A, key.signing);
  relB = await buildRelease(B, key.signing);
});

// Each test gets its own receiver with the releases it needs pushed, so no test depends on another's state.
const started: ReceiverProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()));
});

async function receiverWith(...releases: SignedRelease[]): Promise<ReceiverProcess> {
  const rx = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys } });
  started.push(rx);
  for (const rel of releases) expect((await postBundle(rx.url, rel)).status).toBe(201);
  return rx;
}

/**
 * One receiver per set of releases for the tests that leave its live set as it is (reads, refusals, a repeat),
 * so they share it in any order; a test that changes what is live takes its own from receiverWith().
 */
const shared = new Map<string, Promise<ReceiverProcess>>();
function sharedWith(...releases: SignedRelease[]): Promise<ReceiverProcess> {
  const id = releases.map((r) => r.payload.serial).join();
  let rx = shared.get(id);
  if (!rx) shared.set(id, (rx = receiverWith(...releases)));
  return rx;
}

const api = (rx: ReceiverProcess, p: string, init: RequestInit = {}) =>
  fetch(`${rx.url}${p}`, { ...init, headers: { 'x-api-key': API_KEY, ...(init.headers ?? {}) } });

const olderThanA = () =>
  buildRelease({ alpha: { version: '0.9.0' } }, key.signing, { serial: relA.payload.serial - 1000 });

describe('POST /v1/deployments', () => {
  it('applies a signed bundle and answers 201 with the deployment', async () => {
    const rx = await receiverWith();
    const res = await postBundle(rx.url, relA);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: 'deployed',
      serial: relA.payload.serial,
      digest: relA.payload.bundle.sha256,
      skills: 2,
    });
    const tree = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(Object.keys(tree).sort()).toEqual(['alpha/SKILL.md', 'beta/SKILL.md', 'beta/scripts/run.sh']);
  });

  it('keeps the exec bit of scripts', async () => {
    const rx = await sharedWith(relA);
    const tree = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(tree['beta/scripts/run.sh']).toMatch(/\|x$/);
    expect(tree['alpha/SKILL.md']).toMatch(/\|-$/);
  });

  it('answers the same envelope with 200 already live, without reading the body', async () => {
    const rx = await sharedWith(relA);
    const res = await postBundle(rx.url, { bundle: Buffer.from('not even gzip'), header: relA.header });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('already_live');
  });

  it('refuses an older serial with another digest (409)', async () => {
    const rx = await sharedWith(relA);
    const res = await postBundle(rx.url, await olderThanA());
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ status: 'rejected', error: { code: 'replay' } });
  });

  it('switches to a newer release: added, changed and removed skills', async () => {
    const rx = await sharedWith(relA, relB);
    const tree = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(Object.keys(tree).sort()).toEqual(['alpha/SKILL.md', 'gamma/SKILL.md']);
    expect(await readFile(path.join(rx.dataDir, 'skills/alpha/SKILL.md'), 'utf8')).toContain('# alpha v1.1');
  });
});

describe('operator API', () => {
  it('GET /v1/state needs the API key and lists live skills with fingerprints', async () => {
    const rx = await sharedWith(relA, relB);
    expect((await fetch(`${rx.url}/v1/state`)).status).toBe(401);
    expect(
      (await fetch(`${rx.url}/v1/state`, { headers: { 'x-api-key': 'wrong-key-0123456789' } })).status,
    ).toBe(401);
    const res = await api(rx, '/v1/state');
    expect(res.status).toBe(200);
    const state = (await res.json()) as {
      serial: number;
      skills: { name: string; version: string; fingerprint: string }[];
    };
    expect(state.serial).toBe(relB.payload.serial);
    expect(state.skills.map((s) => `${s.name}@${s.version}`)).toEqual(['alpha@1.1.0', 'gamma@0.1.0']);
    expect(state.skills[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('POST /api/rollback switches back to the previous release, and a new push is still accepted', async () => {
    const rx = await receiverWith(relA, relB);
    const res = await api(rx, '/api/rollback', { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; liveDeploymentId: string };
    expect(body.status).toBe('deployed');
    const tree = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(Object.keys(tree).sort()).toEqual(['alpha/SKILL.md', 'beta/SKILL.md', 'beta/scripts/run.sh']);
    // Replay protection survives the rollback: B's envelope is not re-applied…
    const replay = await postBundle(rx.url, relB);
    expect(replay.status).toBe(200);
    expect(Object.keys(await liveTree(path.join(rx.dataDir, 'skills'))).sort()).toContain('beta/SKILL.md');
    // …but a fresh signature of any content (a manual re-deploy) is.
    const again = await buildRelease(B, key.signing);
    expect((await postBundle(rx.url, again)).status).toBe(201);
  });

  it('POST /api/rollback to an unknown id is a clear 404', async () => {
    const rx = await sharedWith(relA);
    const res = await api(rx, '/api/rollback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentId: 'nope' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown-release');
  });
});

describe('after a whole history: deploy, replay, switch, rollback, re-deploy, unknown rollback', () => {
  let rx: ReceiverProcess;
  // Read-only tests over one history, in any order.
  beforeAll(async () => {
    rx = await receiverWith(relA);
    expect((await postBundle(rx.url, await olderThanA())).status).toBe(409);
    expect((await postBundle(rx.url, relB)).status).toBe(201);
    expect((await api(rx, '/api/rollback', { method: 'POST' })).status).toBe(200);
    expect((await postBundle(rx.url, await buildRelease(B, key.signing))).status).toBe(201);
    const unknown = await api(rx, '/api/rollback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentId: 'nope' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('/health reports skills, services and recent deployments without secrets', async () => {
    const res = await fetch(`${rx.url}/health`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const h = JSON.parse(text) as {
      status: string;
      skills: { count: number };
      services: { audit: { jsonl: string }; poller: unknown };
      recentDeployments: { trigger: string }[];
    };
    expect(h.status).toBe('ok');
    expect(h.skills.count).toBe(2);
    expect(h.services.audit.jsonl).toBe('ok');
    expect(h.services.poller).toEqual({ enabled: false });
    expect(h.recentDeployments.map((d) => d.trigger)).toContain('rollback');
    expect(text).not.toContain(API_KEY);
  });

  it('/metrics counts deployments by status and trigger and rejections by reason', async () => {
    const text = await (await fetch(`${rx.url}/metrics`)).text();
    expect(text).toMatch(/skill_sync_deployments_total\{status="success",trigger="webhook"\} 3/);
    expect(text).toMatch(/skill_sync_deployments_total\{status="success",trigger="rollback"\} 1/);
    expect(text).toMatch(/skill_sync_rejected_requests_total\{reason="replay"\} 1/);
    expect(text).toContain('skill_sync_deploy_duration_seconds_bucket');
  });

  it('records every attempt in audit.jsonl', async () => {
    const lines = (await readFile(path.join(rx.dataDir, 'skill-sync/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    const recs = lines.map((l) => JSON.parse(l) as { status: string; trigger: string; reason?: string });
    expect(recs.map((r) => `${r.trigger}:${r.status}`)).toEqual([
      'webhook:success',
      'webhook:rejected',
      'webhook:success',
      'rollback:success',
      'webhook:success',
      'rollback:rejected',
    ]);
    expect(recs[1]!.reason).toBe('replay');
    expect(recs[5]!.reason).toBe('unknown-release');
  });
});
