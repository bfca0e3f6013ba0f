// The poller inside the real receiver, against the local GitHub-like API: convergence, no double deploys,
// rollback attacks, manual sync, and what /health and /metrics say about it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { API_KEY, startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';
import { addSignedRelease, pollingReceiverEnv, RECEIVER_GITHUB_TOKEN, until } from './kit.js';

const key = ed25519Key();
let gh: FakeGitHub;
let dataDir: string;
let rx: ReceiverProcess | undefined;

const publish = (rel: SignedRelease) => addSignedRelease(gh, rel);

const env = () => pollingReceiverEnv(gh, key.publicKeys, { POLLING_INTERVAL_MIN: String(0.4 / 60) }); // 400 ms

/** The answered release-list polls since request number `mark`. */
const pollsSince = (mark: number) =>
  gh.requests.slice(mark).filter((r) => r.host === 'api' && r.path.endsWith('/releases') && r.status !== 0);

const audit = async () =>
  (await readFile(path.join(dataDir, 'skill-sync/audit.jsonl'), 'utf8').catch(() => ''))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status: string; trigger: string; serial?: number; reason?: string });

const liveSerial = async () =>
  ((await (await fetch(`${rx!.url}/health`)).json()) as { live: { serial: number } | null }).live?.serial;

let first: SignedRelease;

// Every test starts from here: the receiver came up after `first` was published and its poller converged.
beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
  dataDir = await tempDir('skill-sync-poll-');
  first = await buildRelease({ polled: { version: '1.0.0' } }, key.signing);
  publish(first);
  // The repository's own human release holds "Latest": the poller must look past it, by tag prefix.
  gh.addRelease({ tag: 'v9.9.9', makeLatest: true });
  rx = await startReceiver({ dataDir, env: env() });
  const t0 = Date.now();
  for (;;) {
    if ((await liveSerial()) === first.payload.serial) break;
    if (Date.now() - t0 > 15_000) throw new Error(`did not converge:\n${rx.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await rx?.stop();
  await gh?.close();
});

describe('poller in the receiver', () => {
  it('converges on a release published while the receiver was down, once it restarts', async () => {
    // /health shows the switch as soon as it is done; the audit record is appended just after it.
    const ofFirst = async () => (await audit()).filter((r) => r.serial === first.payload.serial);
    let recs = await ofFirst();
    for (const end = Date.now() + 5000; !recs.some((r) => r.status === 'success') && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 20));
      recs = await ofFirst();
    }
    expect(recs.filter((r) => r.status === 'success')).toHaveLength(1);
    expect(recs[0]).toMatchObject({ trigger: 'polling', status: 'success', serial: first.payload.serial });
  });

  it('while unchanged, asks only conditional questions and downloads nothing', async () => {
    const downloads = gh.assetDownloads().length;
    const mark = gh.requests.length;
    await until(() => pollsSince(mark).length >= 3, 'three polls');
    const polls = pollsSince(mark);
    expect(polls.slice(1).every((r) => r.conditional && r.status === 304)).toBe(true);
    expect(gh.assetDownloads().length).toBe(downloads);
  });

  it('never deploys twice when the webhook and the poller race on the same serial', async () => {
    const next = await buildRelease({ polled: { version: '2.0.0' } }, key.signing);
    publish(next);
    const pushed = await postBundle(rx!.url, next);
    expect([200, 201]).toContain(pushed.status);
    // Polls run one after another: once a second one after the push is answered, the first has seen the
    // release and finished whatever it did with it.
    const mark = gh.requests.length;
    await until(() => pollsSince(mark).length >= 2, 'two polls after the push');
    const applied = (await audit()).filter((r) => r.status === 'success' && r.serial === next.payload.serial);
    expect(applied).toHaveLength(1);
    expect(await liveSerial()).toBe(next.payload.serial);
  });

  it('ignores an older release re-tagged with a higher serial (rollback attack) and logs it', async () => {
    const live = await liveSerial();
    const old = gh.state.releases.find((r) => r.tagName === `skill-sync-${first.payload.serial}`)!;
    gh.addRelease({
      tag: `skill-sync-${live! + 1}`,
      assets: old.assets.map((a) => ({ name: a.name, data: a.data, contentType: a.contentType })),
    });
    const res = await fetch(`${rx!.url}/api/sync`, { method: 'POST', headers: { 'x-api-key': API_KEY } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: string };
    expect(['older_ignored', 'not_modified', 'up_to_date']).toContain(body.result);
    await until(() => rx!.output().includes('older'), 'a log line about the older release', 5000);
    expect(await liveSerial()).toBe(live);
  });

  it('POST /api/sync deploys a new release at once and says so', async () => {
    const third = await buildRelease(
      { polled: { version: '3.0.0' }, extra: { version: '1.0.0' } },
      key.signing,
    );
    publish(third);
    const res = await fetch(`${rx!.url}/api/sync`, { method: 'POST', headers: { 'x-api-key': API_KEY } });
    const body = (await res.json()) as { result: string; outcome?: { status: string } };
    // The background poll may have won the race; either way the release is live exactly once.
    expect(['new_release', 'up_to_date', 'not_modified']).toContain(body.result);
    expect(await liveSerial()).toBe(third.payload.serial);
    expect(
      (await audit()).filter((r) => r.status === 'success' && r.serial === third.payload.serial),
    ).toHaveLength(1);
  });

  it('/health shows the poller and /metrics counts polls by result; the token never appears', async () => {
    const text = await (await fetch(`${rx!.url}/health`)).text();
    const h = JSON.parse(text) as { services: { poller: Record<string, unknown> } };
    expect(h.services.poller).toMatchObject({ enabled: true });
    expect(h.services.poller.lastCheckAt).toBeTruthy();
    expect(h.services.poller.nextCheckAt).toBeTruthy();
    expect(h.services.poller).toHaveProperty('rateLimitRemaining');
    expect(text).not.toContain(RECEIVER_GITHUB_TOKEN);
    // At least one poll found nothing new (polls every 400 ms; none is downloading now).
    const metricsText = () => fetch(`${rx!.url}/metrics`).then((r) => r.text());
    let metrics = await metricsText();
    for (const end = Date.now() + 5000; !/result="not_modified"\} [1-9]/.test(metrics) && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await metricsText();
    }
    expect(metrics).toMatch(/skill_sync_polls_total\{result="not_modified"\} [1-9]/);
    expect(metrics).toMatch(/skill_sync_live_lag_seconds 0/);
    expect(rx!.output()).not.toContain(RECEIVER_GITHUB_TOKEN);
  });

  it('POST /api/sync needs the API key', async () => {
    expect((await fetch(`${rx!.url}/api/sync`, { method: 'POST' })).status).toBe(401);
  });
});
