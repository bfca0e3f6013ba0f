// Re-running an old push run must not roll production back: the built Action, a real receiver, a GitHub-like API.
import path from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { liveTree } from '../engine/helpers.js';
import { tempDir, type ReceiverProcess } from '../support/receiver.js';
import { ed25519Key, writeSkills } from '../support/release.js';
import {
  actionLog,
  auditLines,
  Cleanup,
  git,
  liveState,
  pushDeploy,
  receiverFor,
  skillsDir,
} from '../e2e/kit.js';
import { ensureDist } from './harness.js';

const key = ed25519Key();
const cleanup = new Cleanup();
let gh: FakeGitHub;
let rx: ReceiverProcess;
let ws: string;
let commitA: string;
let commitB: string;
let treeA: Awaited<ReturnType<typeof liveTree>>;
let treeB: Awaited<ReturnType<typeof liveTree>>;

const TOKEN = 'ghs_rerun_fake_token_0123456789';

/** A push run of `sha` as the runner starts it: that commit checked out, GITHUB_SHA set, the job token given. */
function pushRun(sha: string, extra: Parameters<typeof pushDeploy>[3] = {}) {
  git(ws, 'checkout', '-q', sha);
  return pushDeploy(ws, [rx], key, {
    ...extra,
    env: { GITHUB_API_URL: gh.apiUrl, GITHUB_SHA: sha, ...extra.env },
    inputs: { 'github-token': TOKEN, ...extra.inputs },
  });
}

beforeAll(async () => {
  await ensureDist();
  gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
  cleanup.add(() => gh.close());
  rx = await receiverFor(key, cleanup);
  ws = await tempDir('skill-sync-rerun-ws-');
  await writeSkills(path.join(ws, 'skills'), {
    alpha: { version: '1.0.0', body: '# alpha v1\n' },
    beta: { version: '1.0.0' },
  });
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-qm', 'A');
  commitA = git(ws, 'rev-parse', 'HEAD');
  treeA = await liveTree(path.join(ws, 'skills'));
  // Commit B changes alpha and removes beta.
  await writeSkills(path.join(ws, 'skills'), { alpha: { version: '2.0.0', body: '# alpha v2\n' } });
  await rm(path.join(ws, 'skills', 'beta'), { recursive: true });
  git(ws, 'add', '-A');
  git(ws, 'commit', '-qm', 'B');
  commitB = git(ws, 'rev-parse', 'HEAD');
  treeB = await liveTree(path.join(ws, 'skills'));
  record(commitA);
  record(commitB, commitA);
});

/** Tells the GitHub-like API about a commit of the workspace repo: its parent and the paths it changed. */
function record(sha: string, parent?: string): void {
  const files = parent ? git(ws, 'diff', '--name-only', parent, sha).split('\n') : [];
  gh.addCommit(sha, new Date(), { parent, files });
}
afterAll(() => cleanup.run());

describe('re-running the run of an older push', () => {
  it('A deploys, then B deploys; re-running A skips with a notice naming B, and B stays live', async () => {
    gh.setBranch('main', commitA);
    const a = await pushRun(commitA);
    expect(a.code, actionLog(a)).toBe(0);
    gh.setBranch('main', commitB);
    const b = await pushRun(commitB);
    expect(b.code, actionLog(b)).toBe(0);
    const liveB = await liveState(rx);
    expect(liveB.commit).toBe(commitB);
    expect(await liveTree(skillsDir(rx))).toEqual(treeB);
    const auditBefore = (await auditLines(rx.dataDir)).length;

    const rerun = await pushRun(commitA);
    expect(rerun.code, actionLog(rerun)).toBe(0);
    const notice = rerun.commands.find((c) => c.command === 'notice' && c.message.includes('deploy skipped'));
    expect(notice?.message, actionLog(rerun)).toContain(commitB);
    expect(notice?.message).toContain('workflow_dispatch');
    expect(rerun.outputs['serial']).toBeUndefined();
    expect((rerun.report as { skipped?: string }).skipped).toContain(commitB);
    expect(rerun.summary).toMatch(new RegExp(`deploy skipped: .*${commitB}`));
    // The receiver never heard of it: same deployment live, same files, no new audit record.
    expect(await liveState(rx)).toMatchObject({ deploymentId: liveB.deploymentId, commit: commitB });
    expect(await liveTree(skillsDir(rx))).toEqual(treeB);
    expect(await auditLines(rx.dataDir)).toHaveLength(auditBefore);
    // The check asked GitHub with the job token, for the branch of the push.
    const ask = gh.requests.filter((q) => q.path === '/repos/acme/skills/git/ref/heads/main').at(-1);
    expect(ask).toMatchObject({ method: 'GET', authorization: true, status: 200 });
  });

  it('a re-run of an older scheduled run is skipped the same way', async () => {
    const before = await liveState(rx);
    const run = await pushRun(commitA, { event: 'schedule' });
    expect(run.code, actionLog(run)).toBe(0);
    expect(run.commands.some((c) => c.command === 'notice' && c.message.includes(commitB))).toBe(true);
    expect((await liveState(rx)).deploymentId).toBe(before.deploymentId);
  });

  it('workflow_dispatch with ref A still deploys the older content on purpose', async () => {
    git(ws, 'checkout', '-q', commitA);
    const run = await pushDeploy(ws, [rx], key, {
      event: 'workflow_dispatch',
      eventPayload: { inputs: { ref: commitA }, ref: 'refs/heads/main' },
      env: { GITHUB_API_URL: gh.apiUrl, GITHUB_SHA: commitB },
      inputs: { 'github-token': TOKEN },
    });
    expect(run.code, actionLog(run)).toBe(0);
    expect((await liveState(rx)).commit).toBe(commitA);
    expect(await liveTree(skillsDir(rx))).toEqual(treeA);
  });

  it('a newer commit that changes nothing under the skills path does not hold back the deploy', async () => {
    // C touches only the README: with the example workflow's `paths:` filter it has no deploy run of its
    // own, so B's run, started after C was pushed, is the one that must deploy.
    git(ws, 'checkout', '-q', commitB);
    await writeFile(path.join(ws, 'README.md'), 'docs only\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'C');
    const commitC = git(ws, 'rev-parse', 'HEAD');
    record(commitC, commitB);
    gh.setBranch('main', commitC);
    const run = await pushRun(commitB);
    expect(run.code, actionLog(run)).toBe(0);
    const notice = run.commands.find((c) => c.command === 'notice' && c.message.includes(commitC));
    expect(notice?.message, actionLog(run)).toMatch(/nothing under skills changed/);
    expect(await liveState(rx)).toMatchObject({ commit: commitB });
    expect(await liveTree(skillsDir(rx))).toEqual(treeB);
    const cmp = gh.requests.filter((q) => q.path.startsWith('/repos/acme/skills/compare/')).at(-1);
    expect(cmp).toMatchObject({ status: 200, path: `/repos/acme/skills/compare/${commitB}...${commitC}` });
  });

  it('when the branch tip cannot be checked, a push run fails and deploys nothing', async () => {
    const before = await liveState(rx);
    gh.failNext(500, 3);
    const run = await pushRun(commitB);
    expect(run.code).toBe(1);
    const error = run.commands.find((c) => c.command === 'error' && /could not check/.test(c.message));
    expect(error?.message, actionLog(run)).toMatch(/nothing was deployed/);
    expect((await liveState(rx)).deploymentId).toBe(before.deploymentId);
  });
});
