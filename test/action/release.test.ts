// The built Action publishing its release to a GitHub-like API: immutable releases, leftover assets, permissions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
const TOKEN = 'ghs_release_fake_token_0123456789';
let workspace: string;
let gh: FakeGitHub | undefined;
const stubs: StubReceiver[] = [];

beforeAll(async () => {
  await ensureDist();
  workspace = await tempDir();
  await writeSkills(workspace, [{ dir: 'skills/alpha', skillMd: skillMd('alpha', { version: '1.0.0' }) }]);
});
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});
afterAll(async () => Promise.all(stubs.map((s) => s.close())));

async function deploy(fake: FakeGitHub, receivers: string[] = []) {
  fake.setBranch('main', 'a'.repeat(40));
  return runAction({
    workspace,
    event: 'push',
    inputs: {
      path: 'skills',
      'receiver-url': receivers.join('\n'),
      'signing-key': key.privatePem,
      release: 'true',
      'github-token': TOKEN,
    },
    env: { GITHUB_API_URL: fake.apiUrl },
  });
}

describe('the release on real GitHub', () => {
  it('immutable releases: a draft gets both assets, then is published; the repo keeps its own "Latest"', async () => {
    gh = await startFakeGitHub({ immutableReleases: true });
    const human = gh.addRelease({ tag: 'v1.0.0' });
    const run = await deploy(gh);
    expect(run.code, run.stdout).toBe(0);
    const rel = gh.state.releases.find((r) => r.tagName === `skill-sync-${run.outputs.serial}`)!;
    expect(rel).toMatchObject({ draft: false, immutable: true });
    expect(rel.assets.map((a) => a.name).sort()).toEqual(['skills.dsse.json', 'skills.tar.gz']);
    expect(gh.latest()?.id).toBe(human.id);
    expect(run.outputs['release-url']).toBe(`https://github.com/acme/skills/releases/tag/${rel.tagName}`);
  });

  it('a 502 that leaves a starter asset is cleaned up and the upload retried', async () => {
    gh = await startFakeGitHub();
    gh.failUploadLeavingStarter(1);
    const run = await deploy(gh);
    expect(run.code, run.stdout).toBe(0);
    const rel = gh.state.releases.find((r) => r.tagName === `skill-sync-${run.outputs.serial}`)!;
    expect(rel.assets.map((a) => `${a.name}:${a.state}`).sort()).toEqual([
      'skills.dsse.json:uploaded',
      'skills.tar.gz:uploaded',
    ]);
  });

  it("a read-only job token: the error keeps GitHub's message and says to add contents: write", async () => {
    gh = await startFakeGitHub();
    gh.state.contents = 'read';
    const r = await startStubReceiver(accepted);
    stubs.push(r);
    const run = await deploy(gh, [r.url]);
    expect(run.code).toBe(1);
    const error = run.commands.find(
      (c) => c.command === 'error' && c.message.includes('GitHub release failed'),
    );
    expect(error?.message).toMatch(/Resource not accessible by integration/);
    expect(error?.message).toMatch(/permissions: contents: write/);
    expect(gh.state.releases).toHaveLength(0);
    expect(visibleLog(run)).not.toContain(TOKEN);
  });
});
