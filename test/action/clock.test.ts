// The built Action checks the runner's clock against GitHub's `Date` header before it signs a serial.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import {
  accepted,
  ed25519Key,
  ensureDist,
  runAction,
  skillMd,
  startStubReceiver,
  tempDir,
  visibleLog,
  writeSkills,
  type StubReceiver,
} from './harness.js';

const key = ed25519Key();
let workspace: string;
let gh: FakeGitHub;
let receiver: StubReceiver;

beforeAll(async () => {
  await ensureDist();
  workspace = await tempDir();
  await writeSkills(workspace, [{ dir: 'skills/alpha', skillMd: skillMd('alpha', { version: '1.0.0' }) }]);
  // GitHub's clock a day behind ours: the same as a runner whose clock was set a day ahead.
  gh = await startFakeGitHub({ owner: 'acme', repo: 'skills', clockSkewMs: -24 * 3600_000 });
  gh.setBranch('main', 'a'.repeat(40)); // the run's commit is its branch's tip: only the clock can stop it
  receiver = await startStubReceiver(accepted);
});
afterAll(async () => {
  await gh?.close();
  await receiver?.close();
});

describe("the runner's clock", () => {
  it('far ahead of GitHub: nothing is signed, released or posted', async () => {
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': receiver.url,
        'signing-key': key.privatePem,
        release: 'true',
        'github-token': 'ghs-test-token-value',
      },
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(1);
    expect(visibleLog(run)).toMatch(/clock is \d+ s ahead of GitHub's/);
    expect(gh.state.releases).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
  });
});
