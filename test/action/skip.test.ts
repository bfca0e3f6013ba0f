// on-invalid: skip keeps the live version of a skipped skill: the built Action and a real receiver process.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/bundle/index.js';
import { liveTree } from '../engine/helpers.js';
import { tempDir, type ReceiverProcess } from '../support/receiver.js';
import { ed25519Key, writeSkills } from '../support/release.js';
import { actionLog, auditLines, Cleanup, liveState, pushDeploy, receiverFor, skillsDir } from '../e2e/kit.js';
import { ensureDist, plantedGithubToken } from './harness.js';

const key = ed25519Key();
const cleanup = new Cleanup();
let rx: ReceiverProcess;
let ws: string;
const src = () => path.join(ws, 'skills');
const skip = { inputs: { 'on-invalid': 'skip' } };

/** The files of one skill folder in a tree from liveTree. */
function only(tree: Record<string, string>, skill: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([k]) => k.startsWith(`${skill}/`)));
}

/** Valid YAML, but no `description`: an error that makes the skill invalid. */
async function breakSkill(name: string): Promise<void> {
  await writeFile(path.join(src(), name, 'SKILL.md'), `---\nname: ${name}\n---\n\n# ${name} broken\n`);
}

beforeAll(ensureDist);
afterAll(() => cleanup.run());

describe.each(['in-place', 'symlink'])('on-invalid: skip with a real receiver (%s)', (strategy) => {
  let betaV1: Record<string, string>;

  beforeAll(async () => {
    rx = await receiverFor(key, cleanup, { env: { DEPLOY_STRATEGY: strategy } });
    ws = await tempDir('skill-sync-skip-ws-');
    await writeSkills(src(), {
      alpha: { version: '1.0.0' },
      beta: { version: '1.0.0', files: { 'scripts/run.sh': '#!/bin/sh\necho beta\n' } },
    });
  });

  /** A skipped skill that was live keeps its live version; the others update. */
  async function skippedKeepsLive(): Promise<void> {
    const first = await pushDeploy(ws, [rx], key, skip);
    expect(first.code, actionLog(first)).toBe(0);
    betaV1 = only(await liveTree(skillsDir(rx)), 'beta');
    expect(Object.keys(betaV1)).toContain('beta/scripts/run.sh');
    const betaState = (await liveState(rx)).skills.find((s) => s.name === 'beta')!;

    await writeSkills(src(), { alpha: { version: '2.0.0', body: '# alpha v2\n' } });
    await breakSkill('beta');
    const run = await pushDeploy(ws, [rx], key, skip);
    expect(run.code, actionLog(run)).toBe(0);
    const warn = run.commands.find((c) => c.command === 'warning' && c.message.includes('on-invalid: skip'));
    expect(warn?.message).toMatch(/keep their live versions: beta/);
    const live = await liveTree(skillsDir(rx));
    expect(only(live, 'beta')).toEqual(betaV1);
    expect(only(live, 'alpha')).toEqual(only(await liveTree(src()), 'alpha'));
    const state = await liveState(rx);
    expect(state.skills.map((s) => [s.name, s.version])).toEqual([
      ['alpha', '2.0.0'],
      ['beta', '1.0.0'],
    ]);
    expect(state.skills.find((s) => s.name === 'beta')!.fingerprint).toBe(betaState.fingerprint);
    // The kept release's manifest ships beta now, so it no longer retains it: it parses (a rollback reads it).
    const stored = await readFile(
      path.join(rx.dataDir, 'skill-sync', 'releases', state.deploymentId!, 'skill-sync.json'),
    );
    expect(parseManifest(stored).retain).toBeUndefined();
    // The audit's "which version was live" sees the kept skill too.
    const last = (await auditLines(rx.dataDir)).at(-1)!;
    expect(last.skills?.map((s) => `${s.name}@${s.version}`)).toEqual(['alpha@2.0.0', 'beta@1.0.0']);
    expect((await fetch(`${rx.url}/health`)).status).toBe(200);
  }

  /** Keeps it across further deploys, and a new invalid skill that was never live stays absent. */
  async function keptAcrossDeploys(): Promise<void> {
    await writeSkills(src(), { alpha: { version: '3.0.0', body: '# alpha v3\n' } });
    await writeSkills(src(), { gamma: { version: '1.0.0' } });
    await breakSkill('gamma');
    const run = await pushDeploy(ws, [rx], key, skip);
    expect(run.code, actionLog(run)).toBe(0);
    const live = await liveTree(skillsDir(rx));
    expect(only(live, 'beta')).toEqual(betaV1);
    expect(only(live, 'gamma')).toEqual({});
    expect((await liveState(rx)).skills.map((s) => `${s.name}@${s.version}`)).toEqual([
      'alpha@3.0.0',
      'beta@1.0.0',
    ]);
  }

  /** A committed secret under skip still fails the job, and nothing is sent. */
  async function secretStillFails(): Promise<void> {
    const before = await liveState(rx);
    await writeSkills(src(), {
      alpha: { version: '4.0.0', files: { 'notes.md': `token: ${plantedGithubToken()}\n` } },
    });
    const run = await pushDeploy(ws, [rx], key, skip);
    expect(run.code).toBe(1);
    const error = run.commands.find((c) => c.command === 'error' && c.message.includes('committed secret'));
    expect(error?.message, actionLog(run)).toMatch(/alpha\/notes\.md:1.*on-invalid: skip/);
    expect((await liveState(rx)).deploymentId).toBe(before.deploymentId);
    await writeFile(path.join(src(), 'alpha', 'notes.md'), 'no secrets here\n');
  }

  /** A live copy that no longer matches its manifest is refused, not carried over. */
  async function tamperedCopyRefused(): Promise<void> {
    const before = await liveState(rx);
    const release = path.join(rx.dataDir, 'skill-sync', 'releases', before.deploymentId!, 'skills', 'beta');
    expect(await readdir(release)).toContain('SKILL.md');
    await writeFile(path.join(release, 'SKILL.md'), 'tampered\n');
    const run = await pushDeploy(ws, [rx], key, skip);
    expect(run.code).toBe(1);
    expect(visible(run)).toMatch(/carry-over-mismatch/);
    expect((await liveState(rx)).deploymentId).toBe(before.deploymentId);
  }

  /** Once fixed, the skill deploys again. */
  async function fixedDeploysAgain(): Promise<void> {
    await writeSkills(src(), { beta: { version: '2.0.0' } });
    const run = await pushDeploy(ws, [rx], key, skip);
    expect(run.code, actionLog(run)).toBe(0);
    expect((await liveState(rx)).skills.find((s) => s.name === 'beta')?.version).toBe('2.0.0');
  }

  // One story, told in order inside one test: each step starts from what the one before left live.
  it('keeps a skipped skill live across deploys, refuses a secret and a tampered copy, then deploys the fix', async () => {
    await skippedKeepsLive();
    await keptAcrossDeploys();
    await secretStillFails();
    await tamperedCopyRefused();
    await fixedDeploysAgain();
  }, 300_000);
});

function visible(run: { stdout: string; stderr: string }): string {
  return run.stdout + run.stderr;
}
