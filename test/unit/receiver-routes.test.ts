// The receiver's routes through Hono's app.request(): each answer's HTTP status and error code, no process.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PollResult } from '../../receiver/poller/index.js';
import { buildRelease, ed25519Key, type SignedRelease, type TestKey } from '../support/release.js';
import { API_KEY, answer, appUnderTest, type AppUnderTest } from './receiver-app.js';

/**
 * The public code of each refusal, in one place (the refusals are listed in docs/security.md): a rename of a
 * code is a one-line change here.
 */
const CODE = {
  contentType: 'content-type',
  missingEnvelope: 'missing-envelope',
  malformedEnvelope: 'malformed',
  badSignature: 'bad-signature',
  sizeMismatch: 'size-mismatch',
  tooLarge: 'too-large',
  replay: 'replay',
  unauthorized: 'unauthorized',
  apiKeyNotConfigured: 'api-key-not-configured',
  pollerDisabled: 'poller-disabled',
  badRequest: 'bad-request',
  noPrevious: 'no-previous-release',
  unknownRelease: 'unknown-release',
  notFound: 'not-found',
  rateLimited: 'rate-limited',
} as const;

const SKILLS = { 'unit-alpha': { version: '1.0.0' }, 'unit-beta': { body: '# beta\n' } };

let key: TestKey;
let first: SignedRelease;
let second: SignedRelease;
beforeAll(async () => {
  key = ed25519Key();
  first = await buildRelease(SKILLS, key.signing, { serial: 1_000 });
  second = await buildRelease({ ...SKILLS, 'unit-gamma': {} }, key.signing, { serial: 2_000 });
});

let open: AppUnderTest[] = [];
afterEach(async () => {
  await Promise.all(open.map((a) => a.close()));
  open = [];
});

async function receiver(env: Record<string, string> = {}, opts: Parameters<typeof appUnderTest>[1] = {}) {
  const a = await appUnderTest({ SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, ...env }, opts);
  open.push(a);
  return a;
}

function push(
  a: AppUnderTest,
  rel: { bundle: Buffer; header?: string },
  headers: Record<string, string> = {},
) {
  return answer(
    a.app.request('/v1/deployments', {
      method: 'POST',
      headers: {
        'content-type': 'application/gzip',
        'content-length': String(rel.bundle.length),
        ...(rel.header !== undefined && { 'skill-sync-envelope': rel.header }),
        ...headers,
      },
      body: rel.bundle,
    }),
  );
}

const withKey = { 'x-api-key': API_KEY };

describe('POST /v1/deployments', () => {
  it('deploys a signed release (201), answers a repeat with already_live (200) and refuses an older serial (409)', async () => {
    const a = await receiver();
    const deployed = await push(a, second);
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ status: 'deployed', serial: 2_000, skills: 3 });
    expect(deployed.body.liveDeploymentId).toBe(deployed.body.deploymentId);

    const again = await push(a, second);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('already_live');

    const older = await push(a, first);
    expect(older.status).toBe(409);
    expect(older.body).toMatchObject({ status: 'rejected', error: { code: CODE.replay } });

    const state = await answer(await a.app.request('/v1/state', { headers: withKey }));
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ serial: 2_000, deploymentId: deployed.body.deploymentId });
    expect((state.body.skills as { name: string }[]).map((s) => s.name).sort()).toEqual([
      'unit-alpha',
      'unit-beta',
      'unit-gamma',
    ]);
  });

  it('refuses a body that is not gzip with 415 before reading it', async () => {
    const a = await receiver();
    const r = await push(a, first, { 'content-type': 'application/json' });
    expect(r.status).toBe(415);
    expect(r.body.error?.code).toBe(CODE.contentType);
  });

  it('refuses a push without the envelope header with 401', async () => {
    const a = await receiver();
    const r = await push(a, { bundle: first.bundle });
    expect(r.status).toBe(401);
    expect(r.body.error?.code).toBe(CODE.missingEnvelope);
  });

  it('refuses an envelope that does not decode, or one signed by an unknown key, with 401', async () => {
    const a = await receiver();
    const garbled = await push(a, { bundle: first.bundle, header: 'not base64 json!' });
    expect(garbled.status).toBe(401);
    expect(garbled.body.error?.code).toBe(CODE.malformedEnvelope);

    const stranger = await buildRelease(SKILLS, ed25519Key().signing, { serial: 3_000 });
    const unknown = await push(a, stranger);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ status: 'rejected', error: { code: CODE.badSignature } });
    const state = await answer(await a.app.request('/v1/state', { headers: withKey }));
    expect(state.body.deploymentId).toBeNull();
  });

  it('refuses a Content-Length other than the signed size with 400', async () => {
    const a = await receiver();
    const r = await push(a, first, { 'content-length': String(first.bundle.length + 1) });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe(CODE.sizeMismatch);
  });

  it('refuses a bundle over MAX_BUNDLE_BYTES with 413 from its signed size', async () => {
    // Random bytes do not compress: the bundle is surely over the smallest cap the setting allows.
    const big = await buildRelease(
      { 'unit-big': { files: { 'noise.txt': randomBytes(4096).toString('base64') } } },
      key.signing,
    );
    const a = await receiver({ MAX_BUNDLE_BYTES: '1024' });
    const r = await push(a, big);
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe(CODE.tooLarge);
  });
});

describe('rate limits', () => {
  it('answers 429 once a client is over its deployment attempts per minute', async () => {
    const a = await receiver({ RATE_LIMIT_DEPLOYMENTS_PER_MIN: '2' });
    expect((await push(a, { bundle: first.bundle })).status).toBe(401);
    expect((await push(a, { bundle: first.bundle })).status).toBe(401);
    const third = await push(a, first);
    expect(third.status).toBe(429);
    expect(third.body.error?.code).toBe(CODE.rateLimited);
  });

  it('answers 429 to a client that keeps sending wrong API keys, even with the right one', async () => {
    const a = await receiver({ RATE_LIMIT_AUTH_FAILURES_PER_MIN: '2' });
    const state = (apiKey: string) =>
      answer(a.app.request('/v1/state', { headers: { 'x-api-key': apiKey } }));
    expect((await state('wrong-1')).status).toBe(401);
    expect((await state('wrong-2')).status).toBe(401);
    const after = await state(API_KEY);
    expect(after.status).toBe(429);
    expect(after.body.error?.code).toBe(CODE.rateLimited);
  });
});

describe('operator API', () => {
  it('GET /v1/state needs the API key (401), as x-api-key or a Bearer token', async () => {
    const a = await receiver();
    const none = await answer(await a.app.request('/v1/state'));
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe(CODE.unauthorized);
    const wrong = await answer(await a.app.request('/v1/state', { headers: { 'x-api-key': 'nope' } }));
    expect(wrong.status).toBe(401);
    const bearer = await answer(
      await a.app.request('/v1/state', { headers: { authorization: `Bearer ${API_KEY}` } }),
    );
    expect(bearer.status).toBe(200);
    expect(bearer.body).toEqual({ deploymentId: null, serial: null, digest: null, skills: [] });
  });

  it('answers 403 on the operator API when no API key is configured', async () => {
    const a = await receiver({ MANUAL_SYNC_API_KEY: '' });
    const r = await answer(await a.app.request('/api/rollback', { method: 'POST', headers: withKey }));
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe(CODE.apiKeyNotConfigured);
  });

  it('POST /api/sync without a poller answers 409', async () => {
    const a = await receiver();
    const r = await answer(await a.app.request('/api/sync', { method: 'POST', headers: withKey }));
    expect(r.status).toBe(409);
    expect(r.body.error?.code).toBe(CODE.pollerDisabled);
  });

  it.each([
    ['applied', 200],
    ['up_to_date', 200],
    ['rate_limited', 429],
    ['error', 502],
  ] as const)('POST /api/sync maps a %s poll to %i', async (result, status) => {
    const poll = { result, at: new Date(0).toISOString() } as unknown as PollResult;
    const a = await receiver(
      {},
      { poller: { pollNow: () => Promise.resolve(poll), status: () => ({}) as never } },
    );
    const r = await answer(await a.app.request('/api/sync', { method: 'POST', headers: withKey }));
    expect(r.status).toBe(status);
    expect(r.body.result).toBe(result);
  });

  it('POST /api/rollback: 409 with nothing to roll back to, 404 for an unknown id, 400 for a bad body', async () => {
    const a = await receiver();
    expect((await push(a, first)).status).toBe(201);
    const post = (body?: unknown) =>
      answer(
        a.app.request('/api/rollback', {
          method: 'POST',
          headers: { ...withKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        }),
      );
    const none = await post();
    expect(none.status).toBe(409);
    expect(none.body.error?.code).toBe(CODE.noPrevious);
    const unknown = await post({ deploymentId: '0000000000001-deadbeef' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe(CODE.unknownRelease);
    const bad = await post({ deploymentId: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe(CODE.badRequest);
  });

  it('POST /api/rollback returns to the previous release (200)', async () => {
    const a = await receiver();
    const one = await push(a, first);
    expect((await push(a, second)).status).toBe(201);
    const r = await answer(await a.app.request('/api/rollback', { method: 'POST', headers: withKey }));
    expect(r.status).toBe(200);
    expect(r.body.liveDeploymentId).toBe(one.body.deploymentId);
  });

  it('refuses an operator body over the API limit with 413', async () => {
    const a = await receiver();
    const r = await answer(
      await a.app.request('/api/rollback', {
        method: 'POST',
        headers: { ...withKey, 'content-type': 'application/json' },
        body: JSON.stringify({ deploymentId: 'x'.repeat(32 * 1024) }),
      }),
    );
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe(CODE.tooLarge);
  });
});

describe('health, metrics, unknown routes', () => {
  it('GET /health is open, reports the live set and warns without a repository allowlist', async () => {
    const a = await receiver();
    const empty = await answer(await a.app.request('/health'));
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ status: 'ok', live: null, skills: { count: 0 } });
    expect(empty.body.warnings).toEqual([expect.stringContaining('allowlist')]);

    const deployed = await push(a, first);
    const after = await answer(await a.app.request('/health'));
    expect(after.body.live).toMatchObject({ deploymentId: deployed.body.deploymentId, serial: 1_000 });
    expect(after.body.skills).toMatchObject({ count: 2 });
    expect(after.body.lastDeployment).toMatchObject({ id: deployed.body.deploymentId, status: 'success' });
  });

  it('GET /health has no warning when repositories are allowlisted', async () => {
    const a = await receiver({ SKILL_SYNC_ALLOWED_REPOSITORIES: 'acme/skills' });
    const r = await answer(await a.app.request('/health'));
    expect(r.body.warnings).toBeUndefined();
  });

  it('GET /metrics serves the Prometheus text format', async () => {
    const a = await receiver();
    await push(a, { bundle: first.bundle });
    const res = await a.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toMatch(/^# HELP /m);
  });

  it('answers an unknown route with 404 and a code', async () => {
    const a = await receiver();
    const r = await answer(await a.app.request('/v2/nothing'));
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe(CODE.notFound);
  });
});
