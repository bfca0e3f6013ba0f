// Full path, receiver down during the push: the dist Action creates the release, the receiver's poller converges, one deployment.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ASSET, ENVELOPE_ASSET } from '../../core/release/index.js';
import { deadUrl, ensureDist, runAction } from '../action/harness.js';
import { liveTree } from '../engine/helpers.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { tempDir } from '../support/receiver.js';
import { ed25519Key, writeSkills } from '../support/release.js';
import {
  actionLog,
  auditLines,
  Cleanup,
  eventually,
  health,
  liveState,
  receiverFor,
  skillsDir,
} from '../e2e/kit.js';

const key = ed25519Key();
const cleanup = new Cleanup();
let gh: FakeGitHub;

beforeAll(async () => {
  await ensureDist();
  gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
  gh.setBranch('main', 'a'.repeat(40)); // the pushed commit is the branch tip
  cleanup.add(() => gh.close());
});
afterAll(() => cleanup.run());

describe('receiver down during the push', () => {
  it('the release is created, the poller converges on its serial, and exactly one deployment is recorded', async () => {
    const ws = await tempDir('skill-sync-e2e-ws-');
    await writeSkills(path.join(ws, 'skills'), {
      polled: { version: '1.0.0', files: { 'scripts/go.sh': '#!/bin/sh\necho go\n' } },
      other: { version: '2.0.0' },
    });
    const down = await deadUrl();
    const run = await runAction({
      workspace: ws,
      event: 'push',
      env: { GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/skills' },
      inputs: {
        path: 'skills',
        'receiver-url': down,
        'signing-key': key.privateKeyPem,
        release: 'true',
        'github-token': 'ghs_e2e_fake_token_0123456789',
        timeout: '2',
      },
    });
    expect(run.code, actionLog(run)).toBe(0);
    const warning = run.commands.find((c) => c.command === 'warning' && c.message.includes('unreachable'));
    expect(warning?.message, actionLog(run)).toContain(down);
    expect(run.outputs['release-url']).toBeTruthy();
    const serial = Number(run.outputs['serial']);
    expect(serial).toBeGreaterThan(0);

    const latest = gh.latest();
    expect(latest?.assets.map((a) => a.name).sort()).toEqual([BUNDLE_ASSET, ENVELOPE_ASSET].sort());
    expect(gh.state.releases).toHaveLength(1);

    // The receiver comes up later with only the poller to learn about the release.
    const rx = await receiverFor(key, cleanup, {
      env: {
        GITHUB_OWNER: 'acme',
        GITHUB_REPO: 'skills',
        GITHUB_TOKEN: 'ghs_e2e_fake_token_0123456789',
        GITHUB_API_URL: gh.apiUrl,
        POLLING_INTERVAL_MIN: '0.005', // 300 ms
      },
    });
    await eventually(
      'the poller to apply the release',
      async () => ((await health(rx)).live?.serial === serial ? true : undefined),
      30_000,
      () => rx.output().slice(-3000),
    );
    // Let several more polls happen: none of them may deploy again.
    const polls = () =>
      gh.requests.filter((r) => r.host === 'api' && r.method === 'GET' && r.path.endsWith('/releases'))
        .length;
    const seen = polls();
    await eventually('three more polls', async () => (polls() >= seen + 3 ? true : undefined), 30_000);

    const state = await liveState(rx);
    expect(state.serial).toBe(serial);
    expect(await liveTree(skillsDir(rx))).toEqual(await liveTree(path.join(ws, 'skills')));
    const audit = await auditLines(rx.dataDir);
    expect(audit.map((a) => [a.status, a.trigger, a.serial])).toEqual([['success', 'polling', serial]]);
    expect(audit[0]!.bundleSha256).toBe(run.outputs['bundle-digest']);
    // The bundle crossed the wire once: later polls were answered 304 or saw the same serial.
    const bundleDownloads = gh
      .assetDownloads()
      .filter((r) => r.host === 'assets' && r.status === 200 && r.path.endsWith(`/${BUNDLE_ASSET}`));
    expect(bundleDownloads).toHaveLength(1);
  });
});
