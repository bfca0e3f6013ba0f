// A hostile or broken GitHub against the real receiver: a stalled, trickling or huge answer must not hold the
// deploy queue, run forever, eat the memory, or keep the process from stopping (docs/security.md).
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_ASSET } from '../../core/release/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { API_KEY, startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';
import { addSignedRelease, pollingReceiverEnv, until } from './kit.js';

const key = ed25519Key();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function publish(gh: FakeGitHub, rel: SignedRelease, tag: string): void {
  addSignedRelease(gh, rel, { tag, makeLatest: true });
}

async function setup(
  env: Record<string, string> = {},
): Promise<{ gh: FakeGitHub; start: () => Promise<ReceiverProcess> }> {
  const gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
  cleanups.push(() => gh.close());
  return {
    gh,
    start: async () => {
      const rx = await startReceiver({
        // One poll at start, then only what the test asks for.
        env: pollingReceiverEnv(gh, key.publicKeys, { POLLING_INTERVAL_MIN: '60', ...env }),
      });
      cleanups.push(() => rx.kill());
      return rx;
    },
  };
}

const health = async (rx: ReceiverProcess) =>
  (await (await fetch(`${rx.url}/health`)).json()) as {
    live: { serial: number } | null;
    services: { poller: { lastResult?: string; state?: string } };
  };

const sync = async (rx: ReceiverProcess) => {
  const res = await fetch(`${rx.url}/api/sync`, { method: 'POST', headers: { 'x-api-key': API_KEY } });
  return { status: res.status, body: (await res.json()) as { result: string; code?: string } };
};

describe('poller against a hostile GitHub', () => {
  it('a release JSON that stalls after its headers does not hold up a push', async () => {
    const { gh, start } = await setup();
    publish(gh, await buildRelease({ polled: { version: '1.0.0' } }, key.signing), 'skill-sync-1');
    const stalled = gh.deliverNext({ kind: 'stall' }, { path: /\/releases$/ });
    const rx = await start();
    await until(() => stalled.started, 'the poll to reach the stalled answer');
    const rel = await buildRelease({ pushed: { version: '1.0.0' } }, key.signing);
    const res = await postBundle(rx.url, rel);
    expect(res.status).toBe(201);
    expect(res.json.status).toBe('deployed');
    // The poll is still waiting on GitHub (its deadline is the default five minutes): it held nothing.
    expect((await health(rx)).services.poller.state).toBe('polling');
  });

  it('an asset that trickles a byte at a time ends at the total deadline, not never', async () => {
    const { gh, start } = await setup({ GITHUB_TIMEOUT_MS: '1000', POLL_DOWNLOAD_DEADLINE_MS: '1500' });
    publish(gh, await buildRelease({ trickled: { version: '1.0.0' } }, key.signing), 'skill-sync-1');
    // One byte every 200 ms always beats the 1 s idle timer: only a total deadline stops it.
    const trickle = gh.deliverNext(
      { kind: 'trickle', everyMs: 200 },
      { host: 'assets', path: new RegExp(BUNDLE_ASSET.replace('.', '\\.')) },
    );
    const rx = await start();
    await until(() => trickle.closedEarly, 'the receiver to hang up on the trickle', 15_000);
    await until(() => /github-timeout/.test(rx.output()), 'the poll to report the deadline');
    expect((await health(rx)).live).toBeNull();
    expect(trickle.sent).toBeLessThan(100);
  });

  it('a huge release JSON is cut off at the cap, not read into memory', async () => {
    const { gh, start } = await setup();
    const rx = await start();
    // The first poll finds no release yet (an empty list); the next one gets the padded answer.
    await until(() => gh.requests.some((q) => q.path.endsWith('/releases')), 'the first poll');
    const huge = gh.deliverNext({ kind: 'huge', bytes: 400 * 1024 * 1024 }, { path: /\/releases$/ });
    publish(gh, await buildRelease({ big: { version: '1.0.0' } }, key.signing), 'skill-sync-1');
    const r = await sync(rx);
    expect(r.body).toMatchObject({ result: 'error', code: 'github-body-too-large' });
    expect(huge.closedEarly).toBe(true);
    expect(huge.sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('stop() aborts a bundle download in progress and the process exits', async () => {
    const { gh, start } = await setup();
    publish(gh, await buildRelease({ stopped: { version: '1.0.0' } }, key.signing), 'skill-sync-1');
    const stalled = gh.deliverNext(
      { kind: 'stall' },
      { host: 'assets', path: new RegExp(BUNDLE_ASSET.replace('.', '\\.')) },
    );
    const rx = await start();
    await until(() => stalled.started, 'the bundle download to start');
    const code = await Promise.race([
      rx.stop(),
      new Promise((r) => setTimeout(() => r('still running'), 10_000).unref()),
    ]);
    expect(code).toBe(0);
    expect(stalled.closedEarly).toBe(true);
  });
});
