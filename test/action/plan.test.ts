// Deploy plan in validate mode (live state vs this change), and secrets kept out of every Action output.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accepted,
  deadUrl,
  ensureDist,
  plantedGithubToken,
  runAction,
  skillMd,
  startStubReceiver,
  tempDir,
  visibleLog,
  writeSkills,
  type ActionRun,
  type StubReceiver,
} from './harness.js';

const API_KEY = `plan-key-${randomBytes(12).toString('hex')}`;
let workspace: string;
const stubs: StubReceiver[] = [];

/** A stand-in for the receiver's `GET /v1/state`: answers only with the right x-api-key. */
async function stateServer(state: unknown): Promise<StubReceiver> {
  const s = await startStubReceiver((req) => {
    if (req.method !== 'GET' || req.url !== '/v1/state')
      return { status: 404, body: { error: { code: 'not_found', message: '' } } };
    if (req.headers['x-api-key'] !== API_KEY)
      return { status: 401, body: { error: { code: 'unauthorized', message: 'bad key' } } };
    return { status: 200, body: state };
  });
  stubs.push(s);
  return s;
}

beforeAll(async () => {
  await ensureDist();
  workspace = await tempDir();
  await writeSkills(workspace, [
    { dir: 'same', skillMd: skillMd('same', { version: '1.0.0' }) },
    { dir: 'bumped', skillMd: skillMd('bumped', { version: '2.0.0' }) },
    { dir: 'fresh', skillMd: skillMd('fresh', { version: '0.1.0' }) },
  ]);
});
afterAll(async () => Promise.all(stubs.map((s) => s.close())));

async function fingerprintOf(name: string): Promise<string> {
  // The live fingerprint of an unchanged skill is whatever this tree has; take it from a plain validate run.
  const run = await runAction({ workspace, event: 'pull_request', inputs: {} });
  const report = run.report as { skills: { name: string; fingerprint: string }[] };
  return report.skills.find((s) => s.name === name)!.fingerprint;
}

describe('deploy plan', () => {
  let run: ActionRun;
  let server: StubReceiver;

  beforeAll(async () => {
    server = await stateServer({
      deploymentId: 'dep-live',
      serial: 1700000000000,
      digest: 'd'.repeat(64),
      repository: 'acme/skills',
      commit: 'b'.repeat(40),
      appliedAt: '2025-01-01T00:00:00Z',
      skills: [
        { name: 'same', version: '1.0.0', fingerprint: await fingerprintOf('same') },
        { name: 'bumped', version: '1.0.0', fingerprint: 'e'.repeat(64) },
        { name: 'retired', version: '0.9.0', fingerprint: 'f'.repeat(64) },
      ],
    });
    run = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { 'plan-url': server.url, 'plan-api-key': API_KEY },
    });
  });

  it('reads /v1/state with the API key and passes', () => {
    expect(run.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers['x-api-key']).toBe(API_KEY);
  });

  it('shows added, changed (old → new) and removed, and the unchanged count', () => {
    expect(run.summary).toContain('### Deploy plan');
    expect(run.summary).toContain('Merging adds **1**, changes **1**, removes **1**; 1 unchanged.');
    expect(run.summary).toMatch(/\| added \| fresh \| – \| 0\.1\.0 /);
    expect(run.summary).toMatch(
      /\| changed \| bumped \| 1\.0\.0 \(`eeeeeeeeeeee`\) \| 2\.0\.0 \(`[0-9a-f]{12}`\) \|/,
    );
    expect(run.summary).toMatch(/\| removed \| retired \| 0\.9\.0 \(`ffffffffffff`\) \| – \|/);
    expect(run.summary).not.toMatch(/\| (added|changed|removed) \| same \|/);
    const plan = (run.report as { plan: { added: unknown[]; changed: unknown[]; removed: unknown[] } }).plan;
    expect([plan.added.length, plan.changed.length, plan.removed.length]).toEqual([1, 1, 1]);
  });

  it('treats 404 as nothing live: everything is added', async () => {
    const empty = await startStubReceiver(() => ({
      status: 404,
      body: { error: { code: 'not_found', message: 'nothing' } },
    }));
    stubs.push(empty);
    const r = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { 'plan-url': empty.url, 'plan-api-key': API_KEY },
    });
    expect(r.code).toBe(0);
    expect(r.summary).toContain('Nothing is live on the receiver yet.');
    expect(r.summary).toContain('Merging adds **3**, changes **0**, removes **0**; 0 unchanged.');
  });

  it('an unreachable plan URL is a warning, not a failure', async () => {
    const r = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { 'plan-url': await deadUrl(), 'plan-api-key': API_KEY },
    });
    expect(r.code).toBe(0);
    const warn = r.commands.find((c) => c.command === 'warning' && c.message.includes('deploy plan skipped'));
    expect(warn?.message).toMatch(/plan\/unreachable/);
    expect(r.summary).toContain('Could not read the live state');
  });

  it('a wrong API key is a warning that names the HTTP status', async () => {
    const r = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { 'plan-url': server.url, 'plan-api-key': 'wrong-key-123' },
    });
    expect(r.code).toBe(0);
    expect(r.commands.some((c) => c.command === 'warning' && c.message.includes('plan/http-401'))).toBe(true);
  });
});

describe('deploy plan with on-invalid: skip', () => {
  it('shows a skipped skill that is live as kept, not removed', async () => {
    const ws = await tempDir();
    await writeSkills(ws, [
      { dir: 'ok', skillMd: skillMd('ok', { version: '1.0.0' }) },
      { dir: 'broken', skillMd: '---\nname: broken\n---\n\n# no description\n' },
    ]);
    const state = await stateServer({
      deploymentId: 'dep-live',
      serial: 1,
      commit: 'b'.repeat(40),
      appliedAt: '2025-01-01T00:00:00Z',
      skills: [{ name: 'broken', version: '1.0.0', fingerprint: 'f'.repeat(64) }],
    });
    const r = await runAction({
      workspace: ws,
      event: 'pull_request',
      inputs: { 'plan-url': state.url, 'plan-api-key': API_KEY, 'on-invalid': 'skip' },
    });
    const plan = (r.report as { plan: { added: { name: string }[]; removed: unknown[]; unchanged: number } })
      .plan;
    expect(plan.added.map((s) => s.name)).toEqual(['ok']);
    expect(plan.removed).toEqual([]);
    expect(plan.unchanged).toBe(1);
  });
});

describe('secrets never leave the runner', () => {
  it('hides the signing key, the API key and a planted secret from logs, summary, outputs and report', async () => {
    const ws = await tempDir();
    const planted = plantedGithubToken();
    const hmac = `hmac-${randomBytes(24).toString('hex')}`;
    await writeSkills(ws, [
      { dir: 'clean', skillMd: skillMd('clean') },
      { dir: 'leaky', skillMd: skillMd('leaky'), files: { 'notes.md': `use ${planted} here\n` } },
    ]);
    const receiver = await startStubReceiver((req, i) =>
      // A receiver that echoes a secret back in its error must not get it printed.
      i === 0
        ? { status: 503, body: { error: { code: 'busy', message: `try later ${planted}` } } }
        : accepted(req, i),
    );
    stubs.push(receiver);
    const state = await stateServer({ deploymentId: null, skills: [] });
    // Only the clean skill, for a deploy that reaches the echoing receiver.
    const cleanWs = await tempDir();
    await writeSkills(cleanWs, [{ dir: 'clean', skillMd: skillMd('clean') }]);
    const push = (workspace: string) =>
      runAction({
        workspace,
        event: 'push',
        inputs: {
          'receiver-url': receiver.url,
          'signing-key': hmac,
          'on-invalid': 'skip',
          release: 'false',
          'plan-api-key': API_KEY,
        },
      });
    const runs = [
      await runAction({
        workspace: ws,
        event: 'pull_request',
        inputs: { 'plan-url': state.url, 'plan-api-key': API_KEY, 'signing-key': hmac },
      }),
      // A committed secret blocks the deploy even with on-invalid: skip.
      await push(ws),
      await push(cleanWs),
    ];
    expect(runs[0]!.code).toBe(1);
    expect(runs[1]!.code).toBe(1);
    expect(runs[2]!.code).toBe(0);
    expect(receiver.requests).toHaveLength(2);
    for (const run of runs) {
      const texts = [visibleLog(run), run.summary, run.reportText, JSON.stringify(run.outputs)];
      for (const text of texts) {
        for (const secret of [hmac, API_KEY, planted, planted.slice(4, 24)])
          expect(text).not.toContain(secret);
      }
    }
    // The scanner did see it: redacted preview only.
    for (const run of runs.slice(0, 2)) expect(run.reportText).toContain('ghp_…');
  });
});
