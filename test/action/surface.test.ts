// The built Action's surface: annotation slots and PR-first order, input mistakes caught early with the fix,
// a summary on every outcome, the delivery log, and error details (404 URL, fetch causes).
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { generateKeyPair } from '../../core/envelope/keys.js';
import {
  accepted,
  deadUrl,
  ed25519Key,
  ensureDist,
  runAction,
  skillMd,
  startStubReceiver,
  tempDir,
  visibleLog,
  writeSkills,
  type ActionRun,
  type StubReceiver,
} from './harness.js';

const key = ed25519Key();
const stubs: StubReceiver[] = [];
let gh: FakeGitHub;

beforeAll(async () => {
  await ensureDist();
  gh = await startFakeGitHub();
  gh.setBranch('main', 'a'.repeat(40)); // a push run's commit is its branch's tip, so it deploys
});
afterAll(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  await gh?.close();
});

const errors = (run: ActionRun) => run.commands.filter((c) => c.command === 'error');
const notices = (run: ActionRun) => run.commands.filter((c) => c.command === 'notice');
const warningsOf = (run: ActionRun) => run.commands.filter((c) => c.command === 'warning');

/** `n` skills with no description (one error each) under `skills/`, named m-00 … */
async function brokenSkills(n: number): Promise<string> {
  const ws = await tempDir();
  await writeSkills(
    ws,
    Array.from({ length: n }, (_, i) => {
      const name = `m-${String(i).padStart(2, '0')}`;
      return { dir: `skills/${name}`, skillMd: `---\nname: ${name}\n---\n\nBody.\n` };
    }),
  );
  return ws;
}

describe('annotations', () => {
  it('on a pull request, annotates the files the PR changed first (pulls/{n}/files with the job token)', async () => {
    const workspace = await brokenSkills(15);
    // The PR touches the last three skills (sorted last otherwise) and a file outside the skills.
    gh.setPullFiles(7, [
      { filename: 'skills/m-12/SKILL.md' },
      { filename: 'skills/m-13/SKILL.md', status: 'added' },
      { filename: 'skills/m-14/SKILL.md' },
      { filename: 'README.md' },
    ]);
    const run = await runAction({
      workspace,
      event: 'pull_request',
      eventPayload: {
        number: 7,
        pull_request: {
          number: 7,
          head: { repo: { full_name: 'acme/skills', fork: false } },
          base: { repo: { full_name: 'acme/skills' } },
        },
      },
      inputs: { path: 'skills', 'github-token': 'ghs_jobtoken' },
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(1);
    const files = errors(run)
      .filter((c) => c.props.file)
      .map((c) => c.props.file);
    expect(files).toHaveLength(9);
    expect(files.slice(0, 3)).toEqual([
      'skills/m-12/SKILL.md',
      'skills/m-13/SKILL.md',
      'skills/m-14/SKILL.md',
    ]);
    expect(files.slice(3)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `skills/m-0${i}/SKILL.md`));
    const listed = gh.requests.filter((r) => r.path === '/repos/acme/skills/pulls/7/files');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.authorization).toBe(true);
    expect(listed[0]?.query.per_page).toBe('100');
    // The closing line keeps its slot, and the rest is counted in a notice.
    expect(errors(run).at(-1)?.props.file).toBeUndefined();
    expect(
      notices(run).some((n) =>
        /^6 more error\(s\) and 0 more warning\(s\) were not annotated/.test(n.message),
      ),
    ).toBe(true);
  });

  it('pages through a pull request with more than 100 files', async () => {
    const workspace = await brokenSkills(12);
    gh.setPullFiles(8, [
      ...Array.from({ length: 150 }, (_, i) => ({ filename: `docs/page-${i}.md` })),
      { filename: 'skills/m-11/SKILL.md' },
    ]);
    const before = gh.requests.length;
    const run = await runAction({
      workspace,
      event: 'pull_request',
      eventPayload: { pull_request: { number: 8 } },
      inputs: { path: 'skills', 'github-token': 'ghs_jobtoken' },
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(errors(run).find((c) => c.props.file)?.props.file).toBe('skills/m-11/SKILL.md');
    expect(gh.requests.slice(before).filter((r) => r.path.endsWith('/pulls/8/files'))).toHaveLength(2);
  });

  it('goes on in the usual order when the files cannot be listed', async () => {
    const workspace = await brokenSkills(2);
    const run = await runAction({
      workspace,
      event: 'pull_request',
      eventPayload: { pull_request: { number: 404 } },
      inputs: { path: 'skills', 'github-token': 'ghs_jobtoken' },
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/could not list the pull request's files .*404/);
    expect(errors(run).filter((c) => c.props.file)).toHaveLength(2);
  });

  it('keeps slots for closing warnings (unreachable receiver) ahead of finding warnings', async () => {
    const workspace = await tempDir();
    const specs = Array.from({ length: 12 }, (_, i) => ({
      dir: `skills/f-${String(i).padStart(2, '0')}`,
      // Not YAML, but read by the gateway's line fallback: a warning each.
      skillMd: `---\nname: f-${i}\ndescription: Use it: carefully\n---\n\nBody.\n`,
    }));
    await writeSkills(workspace, specs);
    const dead = await deadUrl();
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': dead,
        'signing-key': key.privatePem,
        'github-token': 'ghs_jobtoken',
        timeout: '2',
      },
      env: { GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/skills' },
    });
    expect(run.code).toBe(0);
    const warns = warningsOf(run);
    expect(warns).toHaveLength(10);
    expect(warns.filter((w) => w.props.file)).toHaveLength(9);
    expect(warns.at(-1)?.message).toMatch(
      /unreachable after 5 attempt\(s\) \(.*ECONNREFUSED.*\); its poller/,
    );
    expect(notices(run).some((n) => /^0 more error\(s\) and 3 more warning\(s\)/.test(n.message))).toBe(true);
  }, 60_000);
});

describe('input mistakes, caught before anything is read, with the fix', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await tempDir();
    await writeSkills(workspace, [{ dir: 'skills/a', skillMd: skillMd('a') }]);
  });

  it('a public key as signing-key is refused, in each shape keygen and ssh give', async () => {
    const pair = generateKeyPair();
    const sshKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3hQhMfYh0G6gA1I8+Y9r7sJ8yK2xY4b1c0d9e8f7g user@host`;
    for (const [shape, value] of [
      ['ed25519:', pair.publicKeySetting],
      ['keygen line', `SKILL_SYNC_PUBLIC_KEYS=${pair.publicKeySetting}\n`],
      ['ssh', sshKey],
      ['PEM', pair.publicKeyPem],
    ] as const) {
      const receiver = await startStubReceiver(accepted);
      stubs.push(receiver);
      const run = await runAction({
        workspace,
        event: 'push',
        inputs: { path: 'skills', 'receiver-url': receiver.url, 'signing-key': value, release: 'false' },
      });
      expect(run.code, shape).toBe(1);
      expect(receiver.requests, shape).toHaveLength(0);
      expect(errors(run).at(-1)?.message, shape).toMatch(/'signing-key'.*public key.*Give the private key/);
      // Caught when inputs are read: nothing was checked, yet the summary explains it.
      expect(run.outputs['skills-count'], shape).toBeUndefined();
      expect(run.summary, shape).toMatch(/❌ skill-sync deploy/);
      expect(run.summary, shape).toContain('signing-key');
    }
  });

  it('logs the key id it signs with', async () => {
    const pair = generateKeyPair();
    const receiver = await startStubReceiver(accepted);
    stubs.push(receiver);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': receiver.url,
        'signing-key': pair.privateKeyPem,
        release: 'false',
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`signing with key id ${pair.keyid}`);
  });

  it('an empty receiver-url with release: false is an error before the skills are read', async () => {
    const run = await runAction({
      workspace,
      event: 'push',
      // What `receiver-url: |\n  ${{ vars.UNSET }}` gives.
      inputs: { path: 'skills', 'receiver-url': '\n', 'signing-key': key.privatePem, release: 'false' },
    });
    expect(run.code).toBe(1);
    expect(errors(run).at(-1)?.message).toMatch(
      /'receiver-url' is empty and release is false.*release: true/,
    );
    expect(run.outputs['skills-count']).toBeUndefined();
    expect(run.summary).toContain('receiver-url');
  });

  it('an empty receiver-url with release: true is a notice that the poller will deliver', async () => {
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': '',
        'signing-key': key.privatePem,
        'github-token': 'ghs_jobtoken',
      },
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(0);
    expect(notices(run).map((n) => n.message)).toContain(
      "receiver-url is empty: nothing is pushed; the receivers' pollers will deliver the GitHub release.",
    );
    expect(warningsOf(run)).toHaveLength(0);
    expect(run.summary).toContain('ℹ️ receiver-url is empty');
  });

  it('release: true without a token is an error before the skills are read', async () => {
    const receiver = await startStubReceiver(accepted);
    stubs.push(receiver);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': receiver.url,
        'signing-key': key.privatePem,
        'github-token': '',
      },
    });
    expect(run.code).toBe(1);
    expect(errors(run).at(-1)?.message).toMatch(/release: true needs GITHUB_REPOSITORY and 'github-token'/);
    expect(run.outputs['skills-count']).toBeUndefined();
    expect(receiver.requests).toHaveLength(0);
  });

  it('a receiver-url that is not a URL is refused when inputs are read, without its content', async () => {
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': 'ftp://user:hunter2hunter2@example.com/',
        'signing-key': key.privatePem,
        release: 'false',
      },
    });
    expect(run.code).toBe(1);
    expect(errors(run).at(-1)?.message).toMatch(/'receiver-url' line 1 .*only http and https/);
    expect(visibleLog(run) + run.summary).not.toContain('hunter2hunter2');
  });

  it('a missing folder fails with the checkout hint, and still writes the summary and report', async () => {
    const empty = await tempDir();
    const run = await runAction({ workspace: empty, event: 'pull_request', inputs: { path: 'skills' } });
    expect(run.code).toBe(1);
    expect(errors(run).at(-1)?.message).toMatch(
      /could not read the skills folder 'skills'.*actions\/checkout/,
    );
    expect(Buffer.byteLength(run.summary)).toBeGreaterThan(0);
    expect(run.summary).toContain('actions/checkout');
    expect((run.report as { outcome: string }).outcome).toBe('failed');
    expect(run.outputs['sarif-path']).toBeUndefined();
  });

  it('zero skills is an error with the checkout hint, not a green "0 skills"', async () => {
    const bare = await tempDir();
    await mkdir(path.join(bare, 'skills', 'notes'), { recursive: true });
    const run = await runAction({ workspace: bare, event: 'pull_request', inputs: { path: 'skills' } });
    expect(run.code).toBe(1);
    expect(errors(run).at(-1)?.message).toMatch(/no skill found under 'skills'.*actions\/checkout/);
    expect(run.outputs['skills-count']).toBeUndefined();
    expect(run.summary).toContain('no skill found');
  });

  it('a bad input value still writes the summary (it used to be 0 bytes)', async () => {
    const run = await runAction({ workspace, event: 'pull_request', inputs: { 'on-invalid': 'maybe' } });
    expect(run.code).toBe(1);
    expect(run.summary).toMatch(/❌ skill-sync validate/);
    expect(run.summary).toContain("'on-invalid' must be one of fail, skip");
    expect(run.summary).toContain('No skill was checked: see the error above.');
    expect(run.summary).not.toContain('No findings');
    expect(run.outputs['report-path']).toBeTruthy();
  });

  it('a pull request from a fork skips the plan with a notice, not a warning', async () => {
    const state = await startStubReceiver(() => ({ status: 200, body: { skills: [] } }));
    stubs.push(state);
    const run = await runAction({
      workspace,
      event: 'pull_request',
      eventPayload: {
        pull_request: {
          number: 3,
          head: { repo: { full_name: 'stranger/skills', fork: true } },
          base: { repo: { full_name: 'acme/skills' } },
        },
      },
      inputs: { path: 'skills', 'plan-url': state.url, 'plan-api-key': '' },
    });
    expect(run.code).toBe(0);
    expect(state.requests).toHaveLength(0);
    expect(warningsOf(run)).toHaveLength(0);
    expect(notices(run).map((n) => n.message)).toContain(
      'deploy plan skipped: pull requests from forks get no secrets (plan-api-key is empty on them)',
    );
  });
});

describe('delivery log and error details', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await tempDir();
    await writeSkills(workspace, [{ dir: 'skills/a', skillMd: skillMd('a') }]);
    execFileSync('git', ['init', '-q', workspace]);
  });

  it('says which receivers got the bundle and what each answered', async () => {
    const ok = await startStubReceiver(() => ({
      status: 201,
      body: { deploymentId: 'dep-42', status: 'success' },
    }));
    const live = await startStubReceiver(() => ({
      status: 200,
      body: { deploymentId: 'dep-41', status: 'already_live' },
    }));
    const refusing = await startStubReceiver(() => ({
      status: 409,
      body: { error: { code: 'replay', message: 'older serial' } },
    }));
    stubs.push(ok, live, refusing);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: {
        path: 'skills',
        'receiver-url': [ok.url, live.url, refusing.url].join('\n'),
        'signing-key': key.privatePem,
        release: 'false',
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `delivery: ${ok.url}/ got the bundle: HTTP 201 success, deployment dep-42 (1 attempt(s))`,
    );
    expect(run.stdout).toContain(
      `delivery: ${live.url}/ got the bundle: HTTP 200 already_live, deployment dep-41 (1 attempt(s))`,
    );
    expect(run.stdout).toContain(
      `delivery: ${refusing.url}/ refused it: HTTP 409 replay: older serial (1 attempt(s))`,
    );
  });

  it('a 404 shows the full URL that was posted, without credentials', async () => {
    const nothing = await startStubReceiver(() => ({ status: 404, body: 'Not Found' }));
    stubs.push(nothing);
    const withCreds =
      nothing.url.replace('http://', 'http://deployer:s3cretpass@') + '/skill-sync?token=abcdef123456';
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: { path: 'skills', 'receiver-url': withCreds, 'signing-key': key.privatePem, release: 'false' },
    });
    expect(run.code).toBe(1);
    expect(nothing.requests[0]?.url).toBe('/skill-sync/v1/deployments?token=abcdef123456');
    const shown = `POST ${nothing.url}/skill-sync/v1/deployments?token=***`;
    expect(errors(run).at(-1)?.message).toContain(`${shown} answered 404`);
    expect(visibleLog(run) + run.summary + run.reportText).not.toMatch(/s3cretpass|abcdef123456/);
  });

  it('"fetch failed" on the plan shows its cause', async () => {
    const dead = await deadUrl();
    const run = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { path: 'skills', 'plan-url': dead },
    });
    expect(run.code).toBe(0);
    expect(warningsOf(run).at(-1)?.message).toMatch(
      /deploy plan skipped: plan\/unreachable: .*fetch failed: .*ECONNREFUSED/,
    );
  });
});
