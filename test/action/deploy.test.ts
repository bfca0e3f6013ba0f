// The built Action deploying: exact bytes and envelope to receivers, fan-out, GitHub release, retries, dispatch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import {
  accepted,
  deadUrl,
  decodeEnvelopeHeader,
  ed25519Key,
  ensureDist,
  runAction,
  sha256Hex,
  skillMd,
  startStubReceiver,
  tempDir,
  verifyEd25519,
  visibleLog,
  writeSkills,
  type StubReceiver,
} from './harness.js';

const key = ed25519Key();
let workspace: string;
const stubs: StubReceiver[] = [];
let gh: FakeGitHub | undefined;

async function stub(...args: Parameters<typeof startStubReceiver>): Promise<StubReceiver> {
  const s = await startStubReceiver(...args);
  stubs.push(s);
  return s;
}

beforeAll(async () => {
  await ensureDist();
  workspace = await tempDir();
  await writeSkills(workspace, [
    {
      dir: 'skills/alpha',
      skillMd: skillMd('alpha', { version: '1.0.0' }),
      files: { 'scripts/run.sh': '#!/bin/sh\necho hi\n' },
    },
    { dir: 'skills/beta', skillMd: skillMd('beta') },
    { dir: 'skills/gamma', skillMd: skillMd('gamma', { version: '2.1.0' }) },
  ]);
});

afterAll(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  await gh?.close();
});

const base = (receivers: string[], extra: Record<string, string> = {}) => ({
  path: 'skills',
  'receiver-url': receivers.join('\n'),
  'signing-key': key.privatePem,
  release: 'false',
  ...extra,
});

describe('deploy on push', () => {
  it('POSTs exactly the bytes the signed envelope names, and sets the outputs', async () => {
    const r = await stub(accepted);
    const run = await runAction({ workspace, event: 'push', inputs: base([r.url]) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/deployments');
    expect(req.headers['content-type']).toBe('application/gzip');
    expect(req.headers['content-length']).toBe(String(req.body.length));
    const env = decodeEnvelopeHeader(String(req.headers['skill-sync-envelope']));
    expect(env.payloadType).toBe('application/vnd.skill-sync.release+json');
    expect(verifyEd25519(env, key.publicKey)).toBe(true);
    expect(env.payload).toMatchObject({
      v: 1,
      repository: 'acme/skills',
      ref: 'refs/heads/main',
      commit: 'a'.repeat(40),
      trigger: 'push',
      skills: 3,
      bundle: { sha256: sha256Hex(req.body), size: req.body.length },
    });
    expect(req.body.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(run.outputs['bundle-digest']).toBe(env.payload.bundle.sha256);
    expect(run.outputs.serial).toBe(String(env.payload.serial));
    expect(run.outputs['deployment-id']).toBe(`dep-${sha256Hex(req.body).slice(0, 8)}`);
    expect(run.outputs['skills-count']).toBe('3');
    expect(run.summary).toContain(env.payload.bundle.sha256);
  });

  it('fans out the same bytes and envelope to every receiver', async () => {
    const a = await stub(accepted);
    const b = await stub(accepted);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: base([a.url, `${b.url}/v1/deployments`]),
    });
    expect(run.code).toBe(0);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
    expect(a.requests[0]!.body.equals(b.requests[0]!.body)).toBe(true);
    expect(a.requests[0]!.headers['skill-sync-envelope']).toBe(b.requests[0]!.headers['skill-sync-envelope']);
  });

  it('creates the GitHub release with both assets before posting', async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    gh.setBranch('main', 'a'.repeat(40)); // the pushed commit is the branch tip
    const r = await stub(accepted);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: base([r.url], { release: 'true', 'github-token': 'ghs-test-token-value' }),
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(0);
    const rel = gh.state.releases.find((x) => x.tagName === `skill-sync-${run.outputs.serial}`);
    expect(rel).toBeDefined();
    expect(rel!.targetCommitish).toBe('a'.repeat(40));
    const assets = new Map(rel!.assets.map((a) => [a.name, a.data]));
    expect([...assets.keys()].sort()).toEqual(['skills.dsse.json', 'skills.tar.gz']);
    const posted = r.requests[0]!;
    expect(assets.get('skills.tar.gz')!.equals(posted.body)).toBe(true);
    const fromHeader = JSON.parse(
      Buffer.from(String(posted.headers['skill-sync-envelope']), 'base64url').toString('utf8'),
    );
    expect(JSON.parse(assets.get('skills.dsse.json')!.toString('utf8'))).toEqual(fromHeader);
    expect(run.outputs['release-url']).toBeTruthy();
    // Release first: its creation was recorded before the receiver saw the POST.
    const created = gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/releases'))!;
    expect(created.at).toBeLessThanOrEqual(posted.at);
    expect(visibleLog(run)).not.toContain('ghs-test-token-value');
    expect(run.stdout).toContain('::add-mask::ghs-test-token-value');
  });

  it('dry-run packs and signs but posts nothing', async () => {
    const r = await stub(accepted);
    const run = await runAction({ workspace, event: 'push', inputs: base([r.url], { 'dry-run': 'true' }) });
    expect(run.code).toBe(0);
    expect(r.requests).toHaveLength(0);
    expect(run.outputs['bundle-digest']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('receiver failures', () => {
  it('retries a 503 and succeeds', async () => {
    const r = await stub((req, i) =>
      i === 0 ? { status: 503, body: { error: { code: 'busy', message: 'deploying' } } } : accepted(req, i),
    );
    const run = await runAction({ workspace, event: 'push', inputs: base([r.url]) });
    expect(run.code).toBe(0);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]!.body.equals(r.requests[0]!.body)).toBe(true);
  });

  it('honours Retry-After before the second attempt', async () => {
    const r = await stub((req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : accepted(req, i),
    );
    const run = await runAction({ workspace, event: 'push', inputs: base([r.url]) });
    expect(run.code).toBe(0);
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails on a 4xx without retrying, naming the receiver without its credentials, and the reason', async () => {
    const r = await stub(() => ({
      status: 409,
      body: { error: { code: 'stale_serial', message: 'serial is older than live' } },
    }));
    const url = r.url.replace('http://', 'http://deployer:s3cret-pass@');
    const run = await runAction({ workspace, event: 'push', inputs: base([url]) });
    expect(run.code).toBe(1);
    expect(r.requests).toHaveLength(1);
    const failed = run.commands.find((c) => c.command === 'error' && /refused/.test(c.message));
    expect(failed?.message).toContain(
      `receiver ${r.url}/ refused the deployment: 409 stale_serial: serial is older than live`,
    );
    expect(visibleLog(run) + run.summary + run.reportText).not.toContain('s3cret-pass');
  });

  it('an unreachable receiver is a warning when the release was created', async () => {
    gh ??= await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    gh.setBranch('main', 'a'.repeat(40));
    const dead = await deadUrl();
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: base([dead], { release: 'true', 'github-token': 't' }),
      env: { GITHUB_API_URL: gh.apiUrl },
    });
    expect(run.code).toBe(0);
    const warn = run.commands.find((c) => c.command === 'warning' && c.message.includes('unreachable'));
    expect(warn?.message).toContain('poller will pick up the release');
    expect(run.outputs['release-url']).toBeTruthy();
  });

  it('an unreachable receiver is an error without a release', async () => {
    const dead = await deadUrl();
    const run = await runAction({ workspace, event: 'push', inputs: base([dead]) });
    expect(run.code).toBe(1);
    expect(run.commands.some((c) => c.command === 'error' && c.message.includes('unreachable'))).toBe(true);
  });
});

describe('deploy choices', () => {
  it('on-invalid: skip ships only the valid skills and reports the rest', async () => {
    const ws = await tempDir();
    await writeSkills(ws, [
      { dir: 'ok', skillMd: skillMd('ok') },
      { dir: 'broken', skillMd: '---\nname: broken\n---\n' },
    ]);
    const r = await stub(accepted);
    const run = await runAction({
      workspace: ws,
      event: 'push',
      inputs: { ...base([r.url], { 'on-invalid': 'skip' }), path: '.' },
    });
    expect(run.code).toBe(0);
    const env = decodeEnvelopeHeader(String(r.requests[0]!.headers['skill-sync-envelope']));
    expect(env.payload.skills).toBe(1);
    expect(run.summary).toMatch(/\| broken \| .* \| skipped \|/);
    expect(run.commands.some((c) => c.command === 'warning' && c.message.includes('broken'))).toBe(true);
  });

  it('on-invalid: fail (default) deploys nothing when any skill has an error', async () => {
    const ws = await tempDir();
    await writeSkills(ws, [
      { dir: 'ok', skillMd: skillMd('ok') },
      { dir: 'broken', skillMd: '---\nname: broken\n---\n' },
    ]);
    const r = await stub(accepted);
    const run = await runAction({ workspace: ws, event: 'push', inputs: { ...base([r.url]), path: '.' } });
    expect(run.code).toBe(1);
    expect(r.requests).toHaveLength(0);
  });

  it('workflow_dispatch of an older ref gets a fresh, greater serial, signed for the ref the workflow ran on', async () => {
    const r = await stub(accepted);
    const first = await runAction({ workspace, event: 'push', inputs: base([r.url]) });
    const again = await runAction({
      workspace,
      event: 'workflow_dispatch',
      eventPayload: { inputs: { ref: 'v0.9.0' } },
      inputs: base([r.url]),
    });
    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    const [p1, p2] = r.requests.map(
      (q) => decodeEnvelopeHeader(String(q.headers['skill-sync-envelope'])).payload,
    );
    expect(p2!.serial).toBeGreaterThan(p1!.serial);
    expect(p2!.trigger).toBe('workflow_dispatch');
    // Receivers allowlist the workflow's own ref (SKILL_SYNC_ALLOWED_REFS), not the operator's input.
    expect(p2!.ref).toBe('refs/heads/main');
    expect(p2!.bundle.sha256).toBe(p1!.bundle.sha256);
  });

  it('fails with a clear message when deploying without a signing key', async () => {
    const r = await stub(accepted);
    const run = await runAction({
      workspace,
      event: 'push',
      inputs: { ...base([r.url]), 'signing-key': '' },
    });
    expect(run.code).toBe(1);
    expect(
      run.commands.some((c) => c.command === 'error' && c.message.includes('input/missing: signing-key')),
    ).toBe(true);
    expect(r.requests).toHaveLength(0);
  });
});
