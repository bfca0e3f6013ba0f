// core/delivery.ts against real HTTP servers: headers, exact bytes, fan-out, retries, Retry-After, refusals.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentsUrl, displayUrl, publishToReceivers } from '../../core/delivery.js';
import {
  accepted,
  deadUrl,
  plantedGithubToken,
  startStubReceiver,
  tempDir,
  type StubReceiver,
} from './harness.js';

const fast = { baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 5000 };
let stubs: StubReceiver[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  stubs = [];
});

async function stub(...args: Parameters<typeof startStubReceiver>): Promise<StubReceiver> {
  const s = await startStubReceiver(...args);
  stubs.push(s);
  return s;
}

async function bundle(
  bytes = Buffer.from('not really gzip, but bytes are bytes\n'.repeat(1000)),
): Promise<string> {
  const file = path.join(await tempDir(), 'skills.tar.gz');
  await writeFile(file, bytes);
  return file;
}

describe('receiver URLs', () => {
  it('appends /v1/deployments, keeps a prefix, keeps a full URL', () => {
    expect(deploymentsUrl('https://r.example').toString()).toBe('https://r.example/v1/deployments');
    expect(deploymentsUrl('https://r.example/').toString()).toBe('https://r.example/v1/deployments');
    expect(deploymentsUrl('https://r.example/sync/').toString()).toBe(
      'https://r.example/sync/v1/deployments',
    );
    expect(deploymentsUrl('https://r.example/v1/deployments').toString()).toBe(
      'https://r.example/v1/deployments',
    );
    expect(() => deploymentsUrl('ftp://x')).toThrow(/publish\/bad-url/);
  });

  it('shows URLs without credentials or query values', () => {
    const shown = displayUrl('https://user:hunter22@r.example/x?token=abcdef');
    expect(shown).not.toContain('hunter22');
    expect(shown).not.toContain('user');
    expect(shown).not.toContain('abcdef');
  });
});

describe('publishToReceivers', () => {
  it('POSTs the exact bytes with the envelope header and gzip type, to every receiver', async () => {
    const a = await stub(accepted);
    const b = await stub(accepted);
    const file = await bundle();
    const results = await publishToReceivers([a.url, `${b.url}/v1/deployments`], file, 'ZW52', fast);
    expect(results.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    for (const s of [a, b]) {
      expect(s.requests).toHaveLength(1);
      const req = s.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/v1/deployments');
      expect(req.headers['content-type']).toBe('application/gzip');
      expect(req.headers['skill-sync-envelope']).toBe('ZW52');
      expect(req.headers['content-length']).toBe(String(req.body.length));
    }
    expect(a.requests[0]!.body.equals(b.requests[0]!.body)).toBe(true);
    expect(results[0]!.outcome === 'ok' && results[0]!.reply.deploymentId).toMatch(/^dep-/);
  });

  it('retries a 503 and succeeds on the next attempt', async () => {
    const s = await stub((_req, i) =>
      i === 0
        ? { status: 503, body: { error: { code: 'busy', message: 'later' } } }
        : { status: 201, body: { deploymentId: 'd1' } },
    );
    const [r] = await publishToReceivers([s.url], await bundle(), 'h', fast);
    expect(r).toMatchObject({ outcome: 'ok', attempts: 2, httpStatus: 201 });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]!.body.equals(s.requests[0]!.body)).toBe(true);
  });

  it('does not retry a 400 and reports the code and message', async () => {
    const s = await stub(() => ({
      status: 400,
      body: { error: { code: 'bad_envelope', message: 'signature does not verify' } },
    }));
    const [r] = await publishToReceivers([s.url], await bundle(), 'h', fast);
    expect(r).toMatchObject({ outcome: 'refused', httpStatus: 400, code: 'bad_envelope', attempts: 1 });
    expect(s.requests).toHaveLength(1);
  });

  it('retries 429 and honours Retry-After seconds', async () => {
    const s = await stub((_req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : { status: 201, body: {} },
    );
    const [r] = await publishToReceivers([s.url], await bundle(), 'h', fast);
    expect(r?.outcome).toBe('ok');
    expect(s.requests).toHaveLength(2);
    // Ordering, not speed: the second attempt cannot come before the server's Retry-After has passed.
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retries on a dead receiver', async () => {
    const url = await deadUrl();
    const [r] = await publishToReceivers([url], await bundle(), 'h', { ...fast, retries: 2 });
    expect(r).toMatchObject({ outcome: 'unreachable', attempts: 3 });
    expect(r?.outcome === 'unreachable' && r.message).toMatch(/ECONNREFUSED/);
  });

  it('treats 200 already_live as success', async () => {
    const s = await stub(() => ({ status: 200, body: { status: 'already_live', deploymentId: 'd0' } }));
    const [r] = await publishToReceivers([s.url], await bundle(), 'h', fast);
    expect(r).toMatchObject({
      outcome: 'ok',
      httpStatus: 200,
      reply: { status: 'already_live', deploymentId: 'd0' },
    });
  });

  it('scrubs secrets a receiver echoes in its error body', async () => {
    const leaked = plantedGithubToken();
    const s = await stub(() => ({
      status: 422,
      body: { error: { code: 'invalid', message: `bad token ${leaked}` } },
    }));
    const [r] = await publishToReceivers([s.url], await bundle(), 'h', fast);
    expect(r?.outcome).toBe('refused');
    expect(r?.outcome === 'refused' && r.message).toMatch(/^bad token ghp_…/);
    expect(JSON.stringify(r)).not.toContain(leaked.slice(4, 20));
  });
});
