// The poller against the fake GitHub: converge, stay quiet when unchanged, back off, honour rate limits, refuse.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Poller, type PollResult } from '../../receiver/poller/index.js';
import { startFakeGitHub, type FakeGitHub, type FakeOptions } from '../github-api/server.js';
import { captureLog, publish, sign, payloadFor, tempDir, TestTarget, TOKEN, until } from './kit.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bundleOf = (n: number, size = 4096) => Buffer.alloc(size, n);

async function setup(
  opts: { fake?: FakeOptions; intervalMs?: number; maxBundleBytes?: number; statePath?: string } = {},
) {
  const gh = await startFakeGitHub(opts.fake);
  cleanups.push(() => gh.close());
  const dir = await tempDir('skill-sync-poll-');
  const target = new TestTarget(path.join(dir, 'live'), opts.maxBundleBytes);
  const results: PollResult[] = [];
  /** poller.status() right after each poll: what it scheduled next. */
  const snapshots: ReturnType<Poller['status']>[] = [];
  const { lines, log } = captureLog();
  const statePath = opts.statePath ?? path.join(dir, 'skill-sync', 'poller.json');
  const make = (t = target) => {
    const p = new Poller({
      github: { apiUrl: gh.apiUrl, owner: 'acme', repo: 'skills', token: TOKEN, timeoutMs: 1_000 },
      intervalMs: opts.intervalMs ?? 50,
      jitter: 0.2,
      statePath,
      target: t,
      log,
      onResult: (r) => {
        results.push(r);
        snapshots.push(p.status());
      },
    });
    cleanups.push(() => p.stop());
    return p;
  };
  return { gh, target, results, snapshots, lines, statePath, make, poller: make() };
}

const apiPolls = (gh: FakeGitHub) =>
  gh.requests.filter((q) => q.host === 'api' && q.path.endsWith('/releases'));
const downloads = (gh: FakeGitHub) => gh.requests.filter((q) => q.host === 'assets');

describe('Poller', () => {
  it('converges on a release published while the receiver was down, within one interval of starting', async () => {
    const { gh, target, poller, results } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    poller.start();
    await until(() => results.length >= 1);
    expect(target.deployments).toHaveLength(1);
    expect(target.deployments[0]).toMatchObject({ serial: 1_000, trigger: 'polling' });
    expect(results[0]).toMatchObject({ result: 'new_release', release: 'skill-sync-1000', serial: 1_000 });
    expect(poller.status()).toMatchObject({
      enabled: true,
      lastRelease: { tag: 'skill-sync-1000', serial: 1_000 },
      latestReleaseSerial: 1_000,
    });
    expect(await readFile(path.join(target.liveDir, '1000.tar.gz'))).toEqual(bundleOf(1));
  });

  it('unchanged: only conditional requests answered 304, and 0 asset downloads', async () => {
    const { gh, target, poller } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    expect((await poller.pollNow()).result).toBe('new_release');
    // The first re-check may be a 200 (GitHub's JSON moved: download_count); it is judged from memory.
    expect(['up_to_date', 'not_modified']).toContain((await poller.pollNow()).result);
    const mark = gh.requests.length;
    const N = 6;
    for (let i = 0; i < N; i++) expect((await poller.pollNow()).result).toBe('not_modified');
    const after = gh.requests.slice(mark);
    expect(after).toHaveLength(N);
    expect(after.every((q) => q.conditional && q.status === 304 && q.path.endsWith('/releases'))).toBe(true);
    expect(downloads(gh).length).toBe(2); // envelope + bundle, once
    expect(target.deployments).toHaveLength(1);
    expect(poller.status().lastEtagResult).toBe('not_modified');
  });

  it('500s and timeouts: backoff grows, then it recovers with exactly one deployment', async () => {
    const { gh, target, poller, results, snapshots } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    const published = gh.requests.length; // the publisher's own GET /releases (pruning) is not a poll
    gh.failNext(500, 2);
    gh.hangNext(1);
    poller.start();
    await until(() => results.length >= 4, 'four polls', 20_000);
    const delays = snapshots.slice(0, 3).map((x) => Date.parse(x.nextCheckAt!) - Date.parse(x.lastCheckAt!));
    expect(snapshots.slice(0, 3).map((x) => [x.state, x.consecutiveErrors])).toEqual([
      ['backoff', 1],
      ['backoff', 2],
      ['backoff', 3],
    ]);
    expect(results.slice(0, 3).map((r) => r.result)).toEqual(['error', 'error', 'error']);
    expect(results[2]!.code).toBe('github-unreachable');
    expect(results[3]).toMatchObject({ result: 'new_release' });
    expect(delays).toHaveLength(3);
    // interval 50 ms: 2x, 4x, 8x (+ up to 20% jitter), each wait longer than the one before.
    expect(delays[0]!).toBeGreaterThanOrEqual(100);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(delays[2]!).toBeGreaterThan(delays[1]!);
    expect(delays[2]!).toBeLessThanOrEqual(400 * 1.2 + 1);
    await until(() => results.length >= 6);
    expect(target.deployments).toHaveLength(1);
    expect(poller.status().consecutiveErrors).toBe(0);
    // Each poll waited at least its scheduled delay after the previous one.
    const polls = apiPolls(gh).filter((q) => gh.requests.indexOf(q) >= published);
    for (let i = 1; i < polls.length; i++)
      expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(50 - 5);
  });

  it('403 with x-ratelimit-remaining 0: no request before the reset time', async () => {
    const { gh, target, poller, results } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    const reset = Math.floor(Date.now() / 1000) + 2;
    gh.setRateLimit({ remaining: 0, reset });
    const mark = gh.requests.length;
    poller.start();
    await until(() => results.length >= 1);
    expect(results[0]).toMatchObject({ result: 'rate_limited', retryAt: reset * 1000 });
    expect(poller.status().state).toBe('rate_limited');
    // A manual sync overrides the wait and asks GitHub, whose answer sets the wait again.
    const manual = await poller.pollNow();
    expect(manual).toMatchObject({ result: 'rate_limited', retryAt: reset * 1000 });
    expect(gh.requests.length).toBe(mark + 2);
    await until(() => target.deployments.length === 1, 'one deployment', 10_000);
    const later = gh.requests.slice(mark + 2);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((q) => q.at >= reset * 1000)).toBe(true);
  });

  it('a reset in the year 3000 or a huge Retry-After waits an hour at most', async () => {
    const { gh, poller, statePath } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    const hour = 3_600_000;
    gh.setRateLimit({ remaining: 0, reset: Date.UTC(3000, 0, 1) / 1000 });
    const before = Date.now();
    const primary = await poller.pollNow();
    expect(primary.result).toBe('rate_limited');
    expect(primary.retryAt!).toBeLessThanOrEqual(Date.now() + hour);
    expect(primary.retryAt!).toBeGreaterThanOrEqual(before + hour - 1000);
    gh.setRateLimit({ remaining: 5000, reset: Math.floor(Date.now() / 1000) + 3600 });
    gh.failNext(429, 1, { 'retry-after': '99999999999' });
    const secondary = await poller.pollNow();
    expect(secondary.result).toBe('rate_limited');
    expect(secondary.retryAt!).toBeLessThanOrEqual(Date.now() + hour);
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as {
      rateLimitedUntil: number;
      nextAllowedAt: number;
    };
    expect(saved.rateLimitedUntil).toBeLessThanOrEqual(Date.now() + hour);
    expect(saved.nextAllowedAt).toBeLessThanOrEqual(Date.now() + hour + 1000);
  });

  it('a wait saved far in the future (older version) is capped on restart, and a manual sync overrides it', async () => {
    const { gh, target, make, statePath } = await setup();
    await publish(gh, bundleOf(2), 2_000);
    const far = Date.UTC(3000, 0, 1);
    await mkdir(path.dirname(statePath), { recursive: true });
    await writeFile(
      statePath,
      JSON.stringify({ v: 1, consecutiveErrors: 0, rateLimitedUntil: far, nextAllowedAt: far }),
    );
    const restarted = make();
    restarted.start();
    await until(() => restarted.status().rateLimitedUntil !== undefined);
    const status = restarted.status();
    expect(Date.parse(status.rateLimitedUntil!)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(Date.parse(status.nextCheckAt!)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const manual = await restarted.pollNow();
    expect(manual.result).toBe('new_release');
    expect(target.deployments).toHaveLength(1);
    expect(restarted.status().rateLimitedUntil).toBeUndefined();
  });

  it('429 with Retry-After is honoured', async () => {
    const { gh, target, poller, results } = await setup();
    await publish(gh, bundleOf(1), 1_000);
    gh.failNext(429, 1, { 'retry-after': '1' });
    poller.start();
    await until(() => target.deployments.length === 1);
    expect(results[0]!.result).toBe('rate_limited');
    const limited = gh.requests.find((q) => q.status === 429)!;
    const next = gh.requests[gh.requests.indexOf(limited) + 1]!;
    expect(next.at).toBeGreaterThanOrEqual(limited.at + 1000);
  });

  it('an older release re-tagged with a higher serial (rollback attack) is not applied, and is logged and recorded', async () => {
    const { gh, target, poller, lines } = await setup();
    const old = await publish(gh, bundleOf(1), 1_000);
    await publish(gh, bundleOf(2), 2_000);
    expect((await poller.pollNow()).result).toBe('new_release');
    // Someone with write access re-publishes the old signed assets under a tag claiming a newer serial.
    const oldAssets = gh.state.releases.find((r) => r.id === old.id)!.assets;
    gh.addRelease({
      tag: 'skill-sync-3000',
      makeLatest: false,
      assets: oldAssets.map((a) => ({ name: a.name, data: a.data, contentType: a.contentType })),
    });
    const before = downloads(gh).length;
    const r = await poller.pollNow();
    expect(r).toMatchObject({ result: 'older_ignored', serial: 1_000 });
    expect(target.deployments.map((d) => d.serial)).toEqual([2_000]);
    expect(target.skipped).toEqual([
      { serial: 1_000, reason: expect.stringMatching(/older than the applied 2000/) },
    ]);
    expect(lines.some((l) => l.level === 'warn' && /rollback refused/.test(l.msg ?? ''))).toBe(true);
    expect(downloads(gh).length).toBe(before + 1); // the envelope only, never the old bundle
  });

  it('an envelope whose digest does not match the asset is refused; nothing applied, not fetched again', async () => {
    const { gh, target, poller, make } = await setup();
    const real = bundleOf(1);
    await publish(gh, real, 1_000, { payload: { bundle: { sha256: 'ab'.repeat(32), size: real.length } } });
    const r = await poller.pollNow();
    expect(r).toMatchObject({ result: 'refused', code: 'digest-mismatch', serial: 1_000 });
    expect(target.deployments).toHaveLength(0);
    expect(target.highestSerial()).toBeNull();
    const n = downloads(gh).length;
    const again = await poller.pollNow();
    expect(['refused', 'not_modified']).toContain(again.result);
    expect(downloads(gh).length).toBe(n);
    // After a restart (how configuration such as keys changes) the refused release is judged once more.
    await poller.stop();
    const restarted = make();
    expect(await restarted.pollNow()).toMatchObject({ result: 'refused', code: 'digest-mismatch' });
    expect(gh.requests.filter((q) => q.path.endsWith('/releases')).at(-1)!.conditional).toBe(false);
    expect(target.deployments).toHaveLength(0);
  });

  it('a bad signature is refused before any bundle byte is downloaded', async () => {
    const { gh, target, poller } = await setup();
    const b = bundleOf(3);
    const rel = gh.addRelease({
      tag: 'skill-sync-5',
      assets: [
        { name: 'skills.tar.gz', data: b },
        { name: 'skills.dsse.json', data: JSON.stringify(sign(payloadFor(b, 5), 'attacker')) },
      ],
    });
    const r = await poller.pollNow();
    expect(r).toMatchObject({ result: 'refused', code: 'bad-signature', release: rel.tagName });
    expect(downloads(gh)).toHaveLength(1);
    expect(target.deployments).toHaveLength(0);
  });

  it('an oversized bundle is refused without download; a size-lying asset is cut off while streaming', async () => {
    const big = await setup({ maxBundleBytes: 10_000 });
    await publish(big.gh, bundleOf(1, 20_000), 1_000);
    expect(await big.poller.pollNow()).toMatchObject({ result: 'refused', code: 'too-large' });
    expect(downloads(big.gh)).toHaveLength(1);
    expect(big.target.deployments).toHaveLength(0);

    const lie = await setup({ fake: { chunkedAssets: true } });
    const signed = bundleOf(2, 8_000);
    lie.gh.addRelease({
      tag: 'skill-sync-7',
      assets: [
        { name: 'skills.tar.gz', data: Buffer.alloc(200_000, 2), size: signed.length },
        { name: 'skills.dsse.json', data: JSON.stringify(sign(payloadFor(signed, 7))) },
      ],
    });
    expect(await lie.poller.pollNow()).toMatchObject({ result: 'refused', code: 'asset-too-large' });
    expect(lie.target.deployments).toHaveLength(0);
  });

  it('a restart keeps the ETag and does not poll before the persisted next time', async () => {
    const first = await setup({ intervalMs: 400 });
    await publish(first.gh, bundleOf(1), 1_000);
    await first.poller.pollNow();
    await first.poller.pollNow();
    await first.poller.stop();
    const saved = JSON.parse(await readFile(first.statePath, 'utf8')) as {
      etag?: string;
      nextAllowedAt: number;
    };
    expect(saved.etag).toMatch(/^"/);
    const mark = first.gh.requests.length;
    const second = first.make();
    second.start();
    await until(() => first.gh.requests.length > mark, 'a request to GitHub', 5_000);
    const q = first.gh.requests[mark]!;
    expect(q).toMatchObject({ conditional: true, status: 304 });
    expect(q.at).toBeGreaterThanOrEqual(saved.nextAllowedAt);
    expect(first.target.deployments).toHaveLength(1);
  });

  it('webhook and poller racing on the same serial deploy exactly once', async () => {
    const { gh, target, poller } = await setup();
    const b = bundleOf(9);
    const { envelope } = await publish(gh, b, 9_000);
    const [pushed, polled] = await Promise.all([target.push(envelope, b), poller.pollNow()]);
    expect(target.deployments).toHaveLength(1);
    expect([pushed.status, polled.result].sort()).toEqual(
      pushed.status === 'deployed' ? ['deployed', 'up_to_date'] : ['already_live', 'new_release'],
    );
  });

  it('polls never overlap: concurrent manual syncs are serialized through the queue', async () => {
    const { gh, target, poller } = await setup();
    await publish(gh, bundleOf(4), 4_000);
    const rs = await Promise.all([poller.pollNow(), poller.pollNow(), poller.pollNow()]);
    expect(rs.map((r) => r.result).sort()).toEqual(['new_release', 'not_modified', 'up_to_date'].sort());
    expect(target.deployments).toHaveLength(1);
  });
});
