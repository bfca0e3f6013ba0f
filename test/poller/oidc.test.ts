// Keyless deploy by the poller: the dist Action publishes a release signed by an ID token; the receiver polls it after the token expired.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../core/envelope/errors.js';
import type { ReleasePayload } from '../../core/payload.js';
import { Poller } from '../../receiver/poller/index.js';
import { deadUrl, ensureDist, runAction } from '../action/harness.js';
import { actionLog, auditLines, Cleanup, eventually, health, liveState } from '../e2e/kit.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { startReceiver, tempDir } from '../support/receiver.js';
import { writeSkills } from '../support/release.js';
import { captureLog, publish, TestTarget, TOKEN as POLL_TOKEN } from './kit.js';
import { startIssuer, type TestIssuer } from '../oidc/issuer.js';

const cleanup = new Cleanup();
const TOKEN = 'ghs_oidc_poll_fake_token_0123456789';
let gh: FakeGitHub;
let issuer: TestIssuer;

beforeAll(async () => {
  await ensureDist();
  gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
  // Each run's commit is its branch's tip, so the Action's re-run check lets it deploy.
  gh.setBranch('main', 'a'.repeat(40));
  gh.setBranch('dev', 'a'.repeat(40));
  issuer = await startIssuer();
  cleanup.add(() => gh.close());
  cleanup.add(() => issuer.close());
});
afterAll(() => cleanup.run());

describe('keyless deploy by the poller', () => {
  it('applies a release whose token has expired when every other check holds, and not a release for another ref', async () => {
    // Tokens the runtime hands out here are already past `exp`: the state of any release a poller finds later.
    issuer.endpointOptions = { expiresIn: -600 };
    const ws = await tempDir('skill-sync-oidc-poll-ws-');
    await writeSkills(path.join(ws, 'skills'), { polled: { version: '1.0.0' } });
    const run = await runAction({
      workspace: ws,
      env: { ...issuer.runtimeEnv, GITHUB_API_URL: gh.apiUrl },
      inputs: {
        path: 'skills',
        'receiver-url': await deadUrl(),
        release: 'true',
        'github-token': TOKEN,
        timeout: '2',
      },
    });
    expect(run.code, actionLog(run)).toBe(0);
    const serial = Number(run.outputs['serial']);

    const rx = await startReceiver({
      env: {
        SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
        SKILL_SYNC_OIDC_ISSUER: issuer.issuer,
        GITHUB_OWNER: 'acme',
        GITHUB_REPO: 'skills',
        GITHUB_TOKEN: TOKEN,
        GITHUB_API_URL: gh.apiUrl,
        POLLING_INTERVAL_MIN: '0.005', // 300 ms
      },
    });
    cleanup.add(() => rx.stop());
    await eventually(
      'the poller to apply the keyless release',
      async () => ((await health(rx)).live?.serial === serial ? true : undefined),
      30_000,
      () => rx.output().slice(-3000),
    );
    expect((await liveState(rx)).skills.map((s) => s.name)).toEqual(['polled']);
    expect((await auditLines(rx.dataDir)).map((a) => [a.status, a.trigger, a.serial])).toEqual([
      ['success', 'polling', serial],
    ]);

    // A newer release from a job on another ref: its token is just as expired, and refused for the ref.
    issuer.job = { ...issuer.job, ref: 'refs/heads/dev' };
    await writeSkills(path.join(ws, 'skills'), { polled: { version: '1.1.0' } });
    const dev = await runAction({
      workspace: ws,
      env: { ...issuer.runtimeEnv, GITHUB_API_URL: gh.apiUrl, GITHUB_REF: 'refs/heads/dev' },
      inputs: {
        path: 'skills',
        'receiver-url': await deadUrl(),
        release: 'true',
        'github-token': TOKEN,
        timeout: '2',
      },
    });
    expect(dev.code, actionLog(dev)).toBe(0);
    await eventually(
      'the poller to refuse the dev release',
      async () => (/"code":"oidc-ref"[^\n]*release refused/.test(rx.output()) ? true : undefined),
      30_000,
      () => rx.output().slice(-3000),
    );
    expect((await liveState(rx)).serial).toBe(serial);
  });
});

describe('the poller when the OIDC issuer is unreachable', () => {
  it('is a transient error, not a final refusal: the same release is judged again on the next poll', async () => {
    const fake = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    cleanup.add(() => fake.close());
    const dir = await tempDir('skill-sync-oidc-poll-');
    let down = true;
    class IssuerDownOnce extends TestTarget {
      override verify(envelope: unknown): ReleasePayload {
        if (down) throw new EnvelopeError('oidc-unavailable', "the OIDC issuer's keys cannot be fetched");
        return super.verify(envelope);
      }
    }
    const target = new IssuerDownOnce(path.join(dir, 'live'));
    const poller = new Poller({
      github: { apiUrl: fake.apiUrl, owner: 'acme', repo: 'skills', token: POLL_TOKEN, timeoutMs: 1_000 },
      intervalMs: 60_000,
      statePath: path.join(dir, 'poller.json'),
      target,
      log: captureLog().log,
    });
    cleanup.add(() => poller.stop());
    await publish(fake, Buffer.alloc(2048, 7), 5_000);
    expect(await poller.pollNow()).toMatchObject({ result: 'error' });
    down = false;
    expect(await poller.pollNow()).toMatchObject({ result: 'new_release', serial: 5_000 });
    expect(target.deployments).toHaveLength(1);
  });
});
