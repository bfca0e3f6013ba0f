// The Action's run() in process with @actions/core mocked, in the style of actions/typescript-action's tests.
import * as core from '@actions/core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../action/main.js';
import { ed25519Key, writeSkills } from '../support/release.js';

vi.mock('@actions/core');

let workspace: string;
let inputs: Record<string, string>;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-action-unit-'));
  inputs = {};
  // The runner hands inputs to the step as INPUT_*; getInput is the only reader of them.
  vi.mocked(core.getInput).mockImplementation((name) => inputs[name] ?? '');
  vi.stubEnv('GITHUB_WORKSPACE', workspace);
  vi.stubEnv('RUNNER_TEMP', workspace);
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/skills');
  vi.stubEnv('GITHUB_SHA', 'b'.repeat(40));
  vi.stubEnv('GITHUB_REF', 'refs/heads/main');
  vi.stubEnv('GITHUB_EVENT_NAME', 'pull_request');
  vi.stubEnv('GITHUB_EVENT_PATH', '');
  vi.stubEnv('GITHUB_STEP_SUMMARY', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.resetAllMocks();
  await rm(workspace, { recursive: true, force: true });
});

/** The value run() gave an output, or undefined. */
function output(name: string): unknown {
  return vi.mocked(core.setOutput).mock.calls.find(([n]) => n === name)?.[1];
}

describe('run() on a pull request (validate)', () => {
  it('reports the skills as outputs and does not fail on valid skills', async () => {
    await writeSkills(path.join(workspace, 'skills'), { alpha: {}, beta: { version: '1.2.0' } });
    inputs.path = 'skills';
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(output('skills-count')).toBe(2);
    expect(output('invalid-count')).toBe(0);
    const report = JSON.parse(await readFile(String(output('report-path')), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(report).toMatchObject({ mode: 'validate', outcome: 'ok', counts: { skills: 2, valid: 2 } });
  });

  it('fails the step and annotates the file when a skill is invalid', async () => {
    await writeSkills(path.join(workspace, 'skills'), { alpha: {}, beta: { description: '' } });
    inputs.path = 'skills';
    await run();
    expect(output('invalid-count')).toBe(1);
    expect(core.setFailed).toHaveBeenCalledWith(
      expect.stringMatching(/validation found 1 error\(s\) in 1 skill/),
    );
    expect(core.error).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ file: 'skills/beta/SKILL.md' }),
    );
  });

  it('fails with the checkout hint when there is no skill at all', async () => {
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('skills/none'));
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('actions/checkout'));
    expect(output('report-path')).toEqual(expect.any(String));
  });

  it('fails on an input that does not parse, naming it', async () => {
    await writeSkills(workspace, { alpha: {} });
    inputs['on-invalid'] = 'sometimes';
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining("input/bad-value: 'on-invalid'"));
    // Inputs that fail to parse still leave a report, but no SARIF (it would close open alerts).
    expect(output('report-path')).toEqual(expect.any(String));
    expect(output('sarif-path')).toBeUndefined();
  });
});

describe('run() on a push (deploy)', () => {
  it('needs the job token for the release', async () => {
    await writeSkills(workspace, { alpha: {} });
    vi.stubEnv('GITHUB_EVENT_NAME', 'push');
    inputs['signing-key'] = ed25519Key().privateKeyPem;
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(
      expect.stringContaining('input/missing: release: true needs'),
    );
  });

  it('packs and signs on a dry run, masks the signing key and never prints it', async () => {
    await writeSkills(workspace, { alpha: {}, beta: {} });
    vi.stubEnv('GITHUB_EVENT_NAME', 'push');
    const key = ed25519Key().privateKeyPem;
    inputs['signing-key'] = key;
    inputs['dry-run'] = 'true';
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.setSecret).toHaveBeenCalledWith(key);
    expect(output('bundle-digest')).toMatch(/^[0-9a-f]{64}$/);
    expect(output('serial')).toEqual(expect.any(Number));
    const printed = [core.info, core.notice, core.warning, core.error]
      .flatMap((f) => vi.mocked(f).mock.calls.map((c) => JSON.stringify(c)))
      .join('\n');
    expect(printed).not.toContain('PRIVATE KEY');
  });
});
