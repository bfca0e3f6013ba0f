// Full path, dist Action → real receiver: PR with invalid skills, dispatch of an older ref, fan-out, failing gateway health, PR plan.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, runAction, type ActionRun } from '../action/harness.js';
import { liveTree, recorder } from '../engine/helpers.js';
import { API_KEY, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { ed25519Key, writeSkills } from '../support/release.js';
import {
  actionLog,
  auditLines,
  Cleanup,
  git,
  health,
  liveState,
  pushDeploy,
  receiverFor,
  skillsDir,
} from './kit.js';

const key = ed25519Key();
const cleanup = new Cleanup();

beforeAll(ensureDist);
afterAll(() => cleanup.run());

/** A workspace with the skills under `skills/`, the Action's `path` input. */
async function workspace(skills: Parameters<typeof writeSkills>[1]): Promise<string> {
  const ws = await tempDir('skill-sync-e2e-ws-');
  await writeSkills(path.join(ws, 'skills'), skills);
  return ws;
}

describe('pull_request with invalid skills', () => {
  let run: ActionRun;
  let rx: ReceiverProcess;

  beforeAll(async () => {
    rx = await receiverFor(key, cleanup);
    const ws = await workspace({
      good: { version: '1.0.0' },
      'sync-bad': {
        version: '1.0.0',
        files: {
          'scripts/gen.sh': '#!/bin/sh\necho hi\n',
          // outputFile on line 3, its value at column 17: outside the data root.
          'SYNC.json':
            '{\n  "version": "1",\n  "outputFile": "/etc/passwd",\n  "patterns": ["a:*"],\n  "generator": "scripts/gen.sh"\n}\n',
        },
      },
    });
    // A second skill that reuses the name `good`: an error naming both files.
    await writeSkills(path.join(ws, 'skills'), { dup: { version: '1.0.0' } });
    await writeFile(
      path.join(ws, 'skills', 'dup', 'SKILL.md'),
      '---\nname: good\ndescription: Same name as the good skill.\n---\n\n# dup\n',
    );

    run = await runAction({
      workspace: ws,
      event: 'pull_request',
      inputs: {
        path: 'skills',
        'receiver-url': rx.url,
        'signing-key': key.privateKeyPem,
        release: 'false',
      },
    });
  });

  it('annotates the exact positions, writes the summary, fails the step and sends nothing', async () => {
    expect(run.code, actionLog(run)).toBe(1);

    const errors = run.commands.filter((c) => c.command === 'error' && c.props.file);
    const sync = errors.find((c) => c.props.file === 'skills/sync-bad/SYNC.json');
    expect(sync?.props).toMatchObject({ line: '3', col: '17' });
    expect(sync?.message).toMatch(/outside the data root/);
    // Both skills that claim the name `good` get a finding at their `name:` key, each naming the other file: the
    // one the gateway drops (`dup`, earlier in its name order) an error, the one it keeps a warning.
    const dups = run.commands.filter((c) => c.props.title === 'skill-sync skill/duplicate-name');
    expect(dups.map((c) => [c.command, c.props.file, c.props.line, c.props.col]).sort()).toEqual([
      ['error', 'skills/dup/SKILL.md', '2', '1'],
      ['warning', 'skills/good/SKILL.md', '2', '1'],
    ]);
    expect(dups.find((c) => c.props.file === 'skills/dup/SKILL.md')!.message).toMatch(/good\/SKILL\.md/);
    expect(dups.find((c) => c.props.file === 'skills/good/SKILL.md')!.message).toMatch(/dup\/SKILL\.md/);

    // Step failed with the validation summary; the summary lists both findings.
    expect(
      run.commands.some((c) => c.command === 'error' && /validation found \d+ error/.test(c.message)),
    ).toBe(true);
    expect(run.summary).toContain('sync-bad');
    expect(run.summary).toContain('outside the data root');
    expect(run.summary).toContain('skill/duplicate-name');
    expect(run.outputs['serial']).toBeUndefined();

    // The receiver never heard of it.
    expect(await auditLines(rx.dataDir)).toEqual([]);
    const h = await health(rx);
    expect(h.live).toBeNull();
    expect(h.lastDeployment).toBeNull();
    expect(rx.output()).not.toContain('/v1/deployments');
    expect(await liveTree(skillsDir(rx))).toEqual({});
  });

  // Product bug: core/check.ts names the other file relative to the skills root ('good/SKILL.md'), while the
  // annotation's file (and the repository) has it at 'skills/good/SKILL.md'.
  it('names the other duplicate by its path in the repository, like the annotation does', () => {
    const dups = run.commands.filter((c) => c.props.title === 'skill-sync skill/duplicate-name');
    expect(dups).toHaveLength(2);
    expect(dups.find((c) => c.props.file === 'skills/dup/SKILL.md')!.message).toContain(
      'skills/good/SKILL.md',
    );
    expect(dups.find((c) => c.props.file === 'skills/good/SKILL.md')!.message).toContain(
      'skills/dup/SKILL.md',
    );
  });
});

describe('workflow_dispatch re-deploy of an older ref', () => {
  it('is accepted with a new, greater serial and puts the older content live', async () => {
    const rx = await receiverFor(key, cleanup);
    const ws = await workspace({
      alpha: { version: '1.0.0', body: '# alpha v1\n' },
      beta: { version: '1.0.0' },
    });
    git(ws, 'init', '-q', '-b', 'main');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'v1');
    const old = git(ws, 'rev-parse', 'HEAD');
    const v1Tree = await liveTree(path.join(ws, 'skills'));
    await writeSkills(path.join(ws, 'skills'), {
      alpha: { version: '2.0.0', body: '# alpha v2\n' },
      gamma: { version: '1.0.0' },
    });
    await rm(path.join(ws, 'skills', 'beta'), { recursive: true });
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'v2');
    const head = git(ws, 'rev-parse', 'HEAD');
    const v2Tree = await liveTree(path.join(ws, 'skills'));
    expect(v2Tree).not.toEqual(v1Tree);

    const push = await pushDeploy(ws, [rx], key, { env: { GITHUB_SHA: head } });
    expect(push.code, actionLog(push)).toBe(0);
    expect(await liveTree(skillsDir(rx))).toEqual(v2Tree);
    const pushSerial = Number(push.outputs['serial']);

    // The operator dispatches the workflow with ref = the older commit; the workflow checks it out.
    git(ws, 'checkout', '-q', old);
    const dispatch = await pushDeploy(ws, [rx], key, {
      event: 'workflow_dispatch',
      eventPayload: { inputs: { ref: old }, ref: 'refs/heads/main' },
      env: { GITHUB_SHA: head },
    });
    expect(dispatch.code, actionLog(dispatch)).toBe(0);
    const serial = Number(dispatch.outputs['serial']);
    expect(serial).toBeGreaterThan(pushSerial);

    const state = await liveState(rx);
    expect(state.serial).toBe(serial);
    expect(state.commit).toBe(old);
    expect(state.skills.map((s) => `${s.name}@${s.version}`).sort()).toEqual(['alpha@1.0.0', 'beta@1.0.0']);
    expect(await liveTree(skillsDir(rx))).toEqual(v1Tree);
    const audit = await auditLines(rx.dataDir);
    expect(audit.map((a) => [a.status, a.serial])).toEqual([
      ['success', pushSerial],
      ['success', serial],
    ]);
  });
});

describe('fan-out to two receivers', () => {
  it('puts the same digest live on both', async () => {
    const a = await receiverFor(key, cleanup);
    const b = await receiverFor(key, cleanup);
    const ws = await workspace({
      one: { version: '1.0.0', files: { 'scripts/run.sh': '#!/bin/sh\necho one\n' } },
      two: { version: '0.1.0', files: { 'references/r.md': 'ref\n' } },
    });
    const run = await pushDeploy(ws, [a, b], key);
    expect(run.code, actionLog(run)).toBe(0);
    const [sa, sb] = [await liveState(a), await liveState(b)];
    expect(sa.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(sb.digest).toBe(sa.digest);
    expect(sa.serial).toBe(Number(run.outputs['serial']));
    expect(sb.serial).toBe(sa.serial);
    // Positive control for the "no request" check of the pull_request test: a POST shows in the receiver's log.
    expect(a.output()).toContain('"path":"/v1/deployments"');
    const source = await liveTree(path.join(ws, 'skills'));
    expect(await liveTree(skillsDir(a))).toEqual(source);
    expect(await liveTree(skillsDir(b))).toEqual(source);
    for (const rx of [a, b]) {
      const audit = await auditLines(rx.dataDir);
      expect(audit.map((l) => [l.status, l.bundleSha256])).toEqual([
        ['success', run.outputs['bundle-digest']],
      ]);
    }
  });
});

describe('gateway health check failing after the switch', () => {
  it('rolls back, alerts, fails the step naming the receiver, and audits rolled_back', async () => {
    const gateway = await recorder(200);
    const alerts = await recorder(200);
    cleanup.add(() => gateway.close());
    cleanup.add(() => alerts.close());
    const rx = await receiverFor(key, cleanup, {
      env: {
        HEALTHCHECK_URL: `${gateway.url}/healthz`,
        HEALTHCHECK_RETRIES: '1',
        HEALTHCHECK_INTERVAL_MS: '50',
        HEALTHCHECK_TIMEOUT_MS: '2000',
        ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
      },
    });
    const ws = await workspace({ alpha: { version: '1.0.0' }, beta: { version: '1.0.0' } });
    const first = await pushDeploy(ws, [rx], key);
    expect(first.code, actionLog(first)).toBe(0);
    const firstTree = await liveTree(path.join(ws, 'skills'));
    expect(await liveTree(skillsDir(rx))).toEqual(firstTree);
    expect(gateway.calls.length).toBeGreaterThan(0);
    expect(alerts.calls).toEqual([]);

    gateway.status = 500;
    await writeSkills(path.join(ws, 'skills'), { alpha: { version: '2.0.0', body: '# alpha v2\n' } });
    const second = await pushDeploy(ws, [rx], key);
    expect(second.code, actionLog(second)).toBe(1);
    const failed = second.commands.find(
      (c) => c.command === 'error' && c.message.includes('health-check-failed'),
    );
    expect(failed?.message, actionLog(second)).toContain(rx.url);

    expect(await liveTree(skillsDir(rx))).toEqual(firstTree);
    expect((await liveState(rx)).serial).toBe(Number(first.outputs['serial']));
    expect(alerts.calls.length).toBeGreaterThan(0);
    const alert = JSON.parse(alerts.calls.at(-1)!.body) as { text?: unknown; content?: unknown };
    expect(typeof alert.text === 'string' || typeof alert.content === 'string').toBe(true);
    expect(String(alert.text ?? alert.content)).toMatch(/roll|health/i);
    const audit = await auditLines(rx.dataDir);
    expect(audit.at(-1)).toMatchObject({ status: 'rolled_back', serial: Number(second.outputs['serial']) });
    expect(audit.map((l) => l.status)).toEqual(['success', 'rolled_back']);
  });
});

describe('deploy plan on a pull request against the running receiver', () => {
  it('lists exactly what merging adds, changes (old → new) and removes', async () => {
    const rx = await receiverFor(key, cleanup);
    const ws = await workspace({
      keep: { version: '1.0.0' },
      bump: { version: '1.0.0' },
      drop: { version: '0.3.0' },
    });
    const first = await pushDeploy(ws, [rx], key);
    expect(first.code, actionLog(first)).toBe(0);
    const live = await liveState(rx);
    const fp = (name: string) => live.skills.find((s) => s.name === name)!.fingerprint.slice(0, 12);

    await rm(path.join(ws, 'skills', 'drop'), { recursive: true });
    await writeSkills(path.join(ws, 'skills'), {
      bump: { version: '1.1.0', body: '# bump, changed\n' },
      fresh: { version: '0.1.0' },
    });
    const pr = await runAction({
      workspace: ws,
      event: 'pull_request',
      inputs: { path: 'skills', 'plan-url': `${rx.url}/v1/state`, 'plan-api-key': API_KEY },
    });
    expect(pr.code, actionLog(pr)).toBe(0);
    expect(pr.summary).toContain('Merging adds **1**, changes **1**, removes **1**; 1 unchanged.');
    const rows = pr.summary
      .split('\n')
      .filter((l) => /^\| (added|changed|removed) \|/.test(l))
      .map((l) =>
        l
          .split('|')
          .map((c) => c.trim())
          .slice(1, 3)
          .join(' '),
      );
    expect(rows.sort()).toEqual(['added fresh', 'changed bump', 'removed drop']);
    expect(pr.summary).toMatch(/\| added \| fresh \| – \| 0\.1\.0 /);
    expect(pr.summary).toContain(`| changed | bump | 1.0.0 (\`${fp('bump')}\`) | 1.1.0 (`);
    expect(pr.summary).toContain(`| removed | drop | 0.3.0 (\`${fp('drop')}\`) | – |`);
    // Validate mode deploys nothing.
    expect((await liveState(rx)).serial).toBe(live.serial);
    expect((await auditLines(rx.dataDir)).length).toBe(1);
    expect(await readFile(path.join(skillsDir(rx), 'drop', 'SKILL.md'), 'utf8')).toContain('name: drop');
  });
});
