// OIDC verification against a local issuer on 127.0.0.1, with a fake clock: JWKS cache, cooldown, rotation, outage, poll path.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EnvelopeError } from '../../core/envelope/errors.js';
import { OidcVerifier, type OidcPolicy } from '../../core/envelope/oidc-verify.js';
import { startIssuer, type TestIssuer } from './issuer.js';

const AUD = `skill-sync:${'0'.repeat(64)}`;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-01T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
  issuer.jwksDownStatus = undefined;
});

function verifier(extra: Partial<OidcPolicy> = {}): OidcVerifier {
  return new OidcVerifier({
    issuer: issuer.issuer,
    repository: 'acme/skills',
    refs: ['refs/heads/main'],
    workflows: [],
    ...extra,
  });
}

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(EnvelopeError);
  return (err as EnvelopeError).code;
}

describe('OIDC verifier', () => {
  it('verifies a good token and returns its claims; one discovery, one JWKS fetch', async () => {
    const v = verifier();
    const before = issuer.jwksFetches();
    const claims = await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(claims.repository).toBe('acme/skills');
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(issuer.jwksFetches() - before).toBe(1);
  });

  it('refetches on an unknown kid at most once a minute', async () => {
    const v = verifier();
    const start = issuer.jwksFetches();
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    const stranger = await issuer.newKey();
    const unknown = await issuer.sign(AUD, {}, { key: stranger });
    advance(1_000);
    expect(await refusal(v.verify(unknown, AUD, 'push'))).toBe('oidc-unknown-key');
    expect(issuer.jwksFetches() - start).toBe(1); // inside the cooldown: no refetch
    advance(60_000);
    expect(await refusal(v.verify(await issuer.sign(AUD, {}, { key: stranger }), AUD, 'push'))).toBe(
      'oidc-unknown-key',
    );
    expect(issuer.jwksFetches() - start).toBe(2); // one refetch, still unknown
    advance(1_000);
    expect(await refusal(v.verify(await issuer.sign(AUD, {}, { key: stranger }), AUD, 'push'))).toBe(
      'oidc-unknown-key',
    );
    expect(issuer.jwksFetches() - start).toBe(2);
  });

  it('key rotation: the new key verifies after one refetch and the withdrawn key no longer does', async () => {
    const v = verifier();
    const old = issuer.published[0]!;
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    const start = issuer.jwksFetches();
    await issuer.rotate();
    advance(61_000);
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(issuer.jwksFetches() - start).toBe(1);
    expect(await refusal(v.verify(await issuer.sign(AUD, {}, { key: old }), AUD, 'push'))).toBe(
      'oidc-unknown-key',
    );
    expect(issuer.jwksFetches() - start).toBe(1);
  });

  it('JWKS endpoint down: the cached keys still serve past their max age, retried at most once a minute', async () => {
    const v = verifier();
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    issuer.jwksDownStatus = 503;
    const start = issuer.jwksFetches();
    advance(11 * 60_000); // past the cache's max age: jose wants a refetch, which fails
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(issuer.jwksFetches() - start).toBe(1);
    advance(10_000);
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(issuer.jwksFetches() - start).toBe(1);
    const stranger = await issuer.newKey();
    expect(await refusal(v.verify(await issuer.sign(AUD, {}, { key: stranger }), AUD, 'push'))).toBe(
      'oidc-unknown-key',
    );
    // Back up: the next fetch after the minute brings the set up to date.
    issuer.jwksDownStatus = undefined;
    advance(61_000);
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    expect(issuer.jwksFetches() - start).toBe(2);
  });

  it('nothing cached and the JWKS endpoint down: oidc-unavailable, and no retry storm', async () => {
    issuer.jwksDownStatus = 500;
    const v = verifier();
    const start = issuer.jwksFetches();
    expect(await refusal(v.verify(await issuer.sign(AUD), AUD, 'push'))).toBe('oidc-unavailable');
    expect(await refusal(v.verify(await issuer.sign(AUD), AUD, 'push'))).toBe('oidc-unavailable');
    expect(issuer.jwksFetches() - start).toBe(1);
  });

  it('a discovery document naming another issuer is not trusted', async () => {
    const v = new OidcVerifier({
      issuer: `${issuer.issuer}/`, // the trailing slash makes it another issuer string
      repository: 'acme/skills',
      refs: ['refs/heads/main'],
      workflows: [],
    });
    const token = await issuer.sign(AUD, {}, { iss: `${issuer.issuer}/` });
    expect(await refusal(v.verify(token, AUD, 'push'))).toBe('oidc-unavailable');
  });

  it('poll path: an expired token verifies when everything else holds; push refuses it', async () => {
    const v = verifier();
    const expired = await issuer.sign(AUD, {}, { expiresIn: -3600 });
    expect(await refusal(v.verify(expired, AUD, 'push'))).toBe('oidc-expired');
    expect((await v.verify(expired, AUD, 'poll')).ref).toBe('refs/heads/main');
    const other = `skill-sync:${'1'.repeat(64)}`;
    expect(await refusal(v.verify(expired, other, 'poll'))).toBe('oidc-audience');
    const expiredDev = await issuer.sign(AUD, { ref: 'refs/heads/dev' }, { expiresIn: -3600 });
    expect(await refusal(v.verify(expiredDev, AUD, 'poll'))).toBe('oidc-ref');
  });

  it('clock skew: up to 60 s is tolerated on the push path, more is not', async () => {
    const v = verifier();
    expect((await v.verify(await issuer.sign(AUD, {}, { expiresIn: -50 }), AUD, 'push')).sub).toBeTruthy();
    expect(await refusal(v.verify(await issuer.sign(AUD, {}, { expiresIn: -70 }), AUD, 'push'))).toBe(
      'oidc-expired',
    );
    // Issued in the future (the issuer's clock ahead of ours by more than the skew).
    const ahead = await issuer.sign(AUD, { iat: Math.floor(Date.now() / 1000) + 120, nbf: undefined });
    expect(await refusal(v.verify(ahead, AUD, 'push'))).toBe('oidc-not-yet-valid');
  });

  it('workflow pins match the path in job_workflow_ref or workflow_ref', async () => {
    const v = verifier({ workflows: ['.github/workflows/skills.yml'] });
    await v.verify(await issuer.sign(AUD), AUD, 'push');
    const reusable = await issuer.sign(AUD, {
      job_workflow_ref: 'acme/shared/.github/workflows/skills.yml@refs/heads/main',
    });
    await v.verify(reusable, AUD, 'push'); // workflow_ref still names ours
    const elsewhere = await issuer.sign(AUD, {
      job_workflow_ref: 'evil/x/.github/workflows/skills.yml@refs/heads/main',
      workflow_ref: 'evil/x/.github/workflows/skills.yml@refs/heads/main',
    });
    expect(await refusal(v.verify(elsewhere, AUD, 'push'))).toBe('oidc-workflow');
    const qualified = verifier({ workflows: ['acme/shared/.github/workflows/skills.yml'] });
    await qualified.verify(reusable, AUD, 'push');
  });
});
