// Keyless deploys end to end: the dist Action signs with an ID token from a local issuer; the real receiver verifies or refuses.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { encodeEnvelopeHeader, nextSerial, pae } from '../../core/envelope/index.js';
import { signEnvelopeWithIdToken } from '../../core/envelope/oidc.js';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import { ensureDist, runAction, visibleLog } from '../action/harness.js';
import { actionLog, auditLines, Cleanup, liveState } from '../e2e/kit.js';
import { startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, writeSkills, type SignedRelease } from '../support/release.js';
import { startIssuer, type IssueOptions, type TestIssuer } from './issuer.js';

const cleanup = new Cleanup();
const packKey = ed25519Key(); // only packs test bundles; the receiver never trusts it
let issuer: TestIssuer;
let rx: ReceiverProcess;

/** The receiver pinned as the docs recommend: repository and id, main, one workflow, an environment. */
function oidcEnv(iss: TestIssuer): Record<string, string> {
  return {
    SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
    SKILL_SYNC_OIDC_REPOSITORY_ID: '424242',
    SKILL_SYNC_OIDC_WORKFLOWS: '.github/workflows/skills.yml',
    SKILL_SYNC_OIDC_ENVIRONMENT: 'production',
    SKILL_SYNC_OIDC_ISSUER: iss.issuer,
  };
}

beforeAll(async () => {
  await ensureDist();
  issuer = await startIssuer({ environment: 'production' });
  cleanup.add(() => issuer.close());
  rx = await startReceiver({ env: oidcEnv(issuer) });
  cleanup.add(() => rx.stop());
});
afterAll(() => cleanup.run());

async function workspace(skills: Parameters<typeof writeSkills>[1]): Promise<string> {
  const ws = await tempDir('skill-sync-oidc-ws-');
  await writeSkills(path.join(ws, 'skills'), skills);
  return ws;
}

/** A real bundle signed keylessly by the local issuer; `claims`/`sign` change the token, `payload` the statement. */
async function keyless(
  o: { claims?: Record<string, unknown>; sign?: IssueOptions; payload?: Partial<ReleasePayload> } = {},
): Promise<SignedRelease> {
  const rel = await buildRelease({ ok: { version: '1.0.0' } }, packKey.signing);
  const payload: ReleasePayload = { ...rel.payload, serial: nextSerial(), ...o.payload };
  const envelope = await signEnvelopeWithIdToken(payload, (aud) => issuer.sign(aud, o.claims, o.sign));
  return { bundle: rel.bundle, envelope, header: encodeEnvelopeHeader(envelope), payload };
}

/** The envelope the Action wrote next to the bundle in RUNNER_TEMP. */
async function envelopeOf(runnerTemp: string): Promise<Envelope> {
  // The work dir, not the report or SARIF file beside it.
  const dir = (await readdir(runnerTemp, { withFileTypes: true })).find(
    (d) => d.isDirectory() && d.name.startsWith('skill-sync-'),
  )?.name;
  if (!dir) throw new Error(`no skill-sync work dir in ${runnerTemp}`);
  return JSON.parse(await readFile(path.join(runnerTemp, dir, 'skills.dsse.json'), 'utf8')) as Envelope;
}

function withEnvelope(rel: SignedRelease, envelope: Envelope): SignedRelease {
  return { ...rel, envelope, header: encodeEnvelopeHeader(envelope) };
}

/**
 * POSTs the headers with a Content-Length and never sends a byte of the body: an answer proves the
 * receiver decided without reading it.
 */
function postWithoutBody(
  url: string,
  rel: SignedRelease,
): Promise<{ status: number; code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/deployments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/gzip',
        'content-length': String(rel.bundle.length),
        'skill-sync-envelope': rel.header,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        req.destroy();
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        resolve({ status: res.statusCode ?? 0, code: body.error?.code, message: body.error?.message });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('keyless deploy by push (dist Action → receiver)', () => {
  it('deploys with no signing key: the default is oidc when the job may request an ID token', async () => {
    const ws = await workspace({ alpha: { version: '1.0.0' }, beta: { version: '2.0.0' } });
    const tokenRequests = issuer.requests.filter((r) => r.path === '/idtoken').length;
    const run = await runAction({
      workspace: ws,
      env: { ...issuer.runtimeEnv },
      inputs: { path: 'skills', 'receiver-url': rx.url, release: 'false', 'github-token': '' },
    });
    expect(run.code, actionLog(run)).toBe(0);
    const asked = issuer.requests.filter((r) => r.path === '/idtoken');
    expect(asked).toHaveLength(tokenRequests + 1);
    const req = asked.at(-1)!;
    expect(req.authorization).toBe(`Bearer ${issuer.runtimeEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`);
    expect(req.query['api-version']).toBe('2.0');
    expect(req.query.audience).toMatch(/^skill-sync:[0-9a-f]{64}$/);

    const state = await liveState(rx);
    expect(state.serial).toBe(Number(run.outputs['serial']));
    expect(state.skills.map((s) => s.name).sort()).toEqual(['alpha', 'beta']);
    const audit = await auditLines(rx.dataDir);
    expect(audit.at(-1)).toMatchObject({ status: 'success', trigger: 'webhook', serial: state.serial });
    // The contract: one signature, keyid github-oidc, sig = base64 of the JWT's ASCII bytes, whose audience
    // is skill-sync: + hex sha256 of PAE(payloadType, payload).
    const envelope = await envelopeOf(run.runnerTemp);
    expect(envelope.signatures.map((s) => s.keyid)).toEqual(['github-oidc']);
    const jwt = Buffer.from(envelope.signatures[0]!.sig, 'base64').toString('ascii');
    const body = Buffer.from(envelope.payload, 'base64');
    const expected = createHash('sha256').update(pae(envelope.payloadType, body)).digest('hex');
    expect(decodeJwt(jwt).aud).toBe(`skill-sync:${expected}`);
    expect(req.query.audience).toBe(`skill-sync:${expected}`);
    // The runner masks the token: core.getIDToken registers it as a secret.
    expect(run.stdout).toContain(`::add-mask::${jwt}`);
    expect(visibleLog(run)).not.toContain(jwt);
  });

  it('without `id-token: write` and without a key, the Action says to add the permission', async () => {
    const ws = await workspace({ alpha: { version: '1.0.1' } });
    const run = await runAction({
      workspace: ws,
      inputs: {
        path: 'skills',
        'receiver-url': rx.url,
        release: 'false',
        'github-token': '',
        signing: 'oidc',
      },
    });
    expect(run.code).not.toBe(0);
    const error = run.commands.find((c) => c.command === 'error');
    expect(error?.message, actionLog(run)).toContain('permissions: id-token: write');
    const implicit = await runAction({
      workspace: ws,
      inputs: { path: 'skills', 'receiver-url': rx.url, release: 'false', 'github-token': '' },
    });
    expect(implicit.code).not.toBe(0);
    expect(implicit.commands.find((c) => c.command === 'error')?.message).toContain('id-token: write');
    const bogus = await runAction({
      workspace: ws,
      env: { ...issuer.runtimeEnv },
      inputs: {
        path: 'skills',
        'receiver-url': rx.url,
        release: 'false',
        'github-token': '',
        signing: 'keyless',
      },
    });
    expect(bogus.code).not.toBe(0);
    expect(bogus.commands.find((c) => c.command === 'error')?.message).toContain(
      "'signing' must be one of key, oidc",
    );
  });

  it('signing: oidc with a signing key too carries both signatures (for receivers still on keys)', async () => {
    const both = await startReceiver({
      env: { ...oidcEnv(issuer), SKILL_SYNC_PUBLIC_KEYS: packKey.publicKeys },
    });
    const keysOnly = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: packKey.publicKeys } });
    cleanup.add(() => both.stop());
    cleanup.add(() => keysOnly.stop());
    const ws = await workspace({ gamma: { version: '1.0.0' } });
    const run = await runAction({
      workspace: ws,
      env: { ...issuer.runtimeEnv },
      inputs: {
        path: 'skills',
        'receiver-url': [rx.url, both.url, keysOnly.url].join('\n'),
        release: 'false',
        'github-token': '',
        signing: 'oidc',
        'signing-key': packKey.privateKeyPem,
      },
    });
    expect(run.code, actionLog(run)).toBe(0);
    const serial = Number(run.outputs['serial']);
    for (const r of [rx, both, keysOnly]) expect((await liveState(r)).serial).toBe(serial);
    const keyids = (await envelopeOf(run.runnerTemp)).signatures.map((s) => s.keyid);
    expect(keyids).toEqual(['github-oidc', packKey.signing.keyid]);
  });

  it('a workflow_dispatch of another ref is refused by the Action before packing (the token names the job ref)', async () => {
    const ws = await workspace({ alpha: { version: '1.0.2' } });
    const run = await runAction({
      workspace: ws,
      event: 'workflow_dispatch',
      eventPayload: { inputs: { ref: 'refs/tags/v1' } },
      env: { ...issuer.runtimeEnv },
      inputs: { path: 'skills', 'receiver-url': rx.url, release: 'false', 'github-token': '' },
    });
    expect(run.code).not.toBe(0);
    expect(run.commands.find((c) => c.command === 'error')?.message, actionLog(run)).toContain(
      'signing: oidc deploys the commit the workflow runs on',
    );
  });
});

describe('refusals before the body is read', () => {
  const cases: [string, () => Promise<SignedRelease>, string][] = [
    [
      'another repository',
      () => keyless({ claims: { repository: 'evil/skills' }, payload: { repository: 'evil/skills' } }),
      'oidc-repository',
    ],
    [
      'the same name with another repository_id',
      () => keyless({ claims: { repository_id: '999' } }),
      'oidc-repository-id',
    ],
    [
      'another ref',
      () => keyless({ claims: { ref: 'refs/heads/dev' }, payload: { ref: 'refs/heads/dev' } }),
      'oidc-ref',
    ],
    [
      'a pull request ref',
      () =>
        keyless({
          claims: { ref: 'refs/pull/7/merge', event_name: 'pull_request' },
          payload: { ref: 'refs/pull/7/merge' },
        }),
      'oidc-ref',
    ],
    [
      'another workflow',
      () =>
        keyless({
          claims: {
            workflow_ref: 'acme/skills/.github/workflows/other.yml@refs/heads/main',
            job_workflow_ref: 'acme/skills/.github/workflows/other.yml@refs/heads/main',
          },
        }),
      'oidc-workflow',
    ],
    [
      'a missing environment when one is pinned',
      () => keyless({ claims: { environment: undefined } }),
      'oidc-environment',
    ],
    ['another issuer', () => keyless({ sign: { iss: 'https://token.actions.example.com' } }), 'oidc-issuer'],
    ['an expired token on the push path', () => keyless({ sign: { expiresIn: -120 } }), 'oidc-expired'],
    [
      'a payload for another commit than the token',
      () => keyless({ payload: { commit: 'b'.repeat(40) } }),
      'oidc-payload-mismatch',
    ],
    [
      'a tampered payload (the audience no longer matches)',
      async () => {
        const rel = await keyless();
        const doc = JSON.parse(Buffer.from(rel.envelope.payload, 'base64').toString()) as ReleasePayload;
        const forged = Buffer.from(JSON.stringify({ ...doc, serial: doc.serial + 1 }));
        return withEnvelope(rel, { ...rel.envelope, payload: forged.toString('base64') });
      },
      'oidc-audience',
    ],
    [
      'alg: none',
      async () => {
        const rel = await keyless();
        const jwt = Buffer.from(rel.envelope.signatures[0]!.sig, 'base64').toString();
        const [, claims] = jwt.split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const none = `${header}.${claims}.`;
        return withEnvelope(rel, {
          ...rel.envelope,
          signatures: [{ keyid: 'github-oidc', sig: Buffer.from(none).toString('base64') }],
        });
      },
      'oidc-alg',
    ],
    [
      'HS256 signed with the JWKS public key',
      async () => {
        const { SignJWT } = await import('jose');
        const rel = await keyless();
        const jwt = Buffer.from(rel.envelope.signatures[0]!.sig, 'base64').toString();
        const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<
          string,
          unknown
        >;
        const key = issuer.published[0]!;
        const forged = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
          .sign(new TextEncoder().encode(key.publicPem));
        return withEnvelope(rel, {
          ...rel.envelope,
          signatures: [{ keyid: 'github-oidc', sig: Buffer.from(forged).toString('base64') }],
        });
      },
      'oidc-alg',
    ],
    ['an unknown kid', async () => keyless({ sign: { key: await issuer.newKey() } }), 'oidc-unknown-key'],
  ];

  it.each(cases)('%s', async (_what, make, code) => {
    const rel = await make();
    const before = (await liveState(rx)).serial;
    const audited = (await auditLines(rx.dataDir)).length;
    const res = await postWithoutBody(rx.url, rel);
    expect(res, JSON.stringify(res)).toMatchObject({ status: 401, code });
    expect((await liveState(rx)).serial).toBe(before);
    // Nothing verified yet: counted, not audited, so junk from anyone cannot rotate real history away.
    expect(await auditLines(rx.dataDir)).toHaveLength(audited);
    const metrics = await (await fetch(`${rx.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`skill_sync_rejected_requests_total\\{reason="${code}"\\} [1-9]`));
  });

  it('an unknown kid refetches the JWKS at most once a minute', async () => {
    const stranger = await issuer.newKey();
    const before = issuer.jwksFetches();
    for (let i = 0; i < 3; i++) {
      const res = await postWithoutBody(rx.url, await keyless({ sign: { key: stranger } }));
      expect(res.code).toBe('oidc-unknown-key');
    }
    expect(issuer.jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('the JWKS endpoint down: the cached keys still serve and the release deploys', async () => {
    await postBundle(rx.url, await keyless()); // the cache holds the current key
    issuer.jwksDownStatus = 503;
    try {
      const rel = await keyless();
      const res = await postBundle(rx.url, rel);
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      expect((await liveState(rx)).serial).toBe(rel.payload.serial);
    } finally {
      issuer.jwksDownStatus = undefined;
    }
  });

  it('nothing cached and the issuer down: 503 oidc-unavailable, before the body is read', async () => {
    const down = await startIssuer({ environment: 'production' });
    const fresh = await startReceiver({ env: oidcEnv(down) });
    cleanup.add(() => fresh.stop());
    down.jwksDownStatus = 503;
    const rel = await buildRelease({ ok: { version: '1.0.0' } }, packKey.signing);
    const envelope = await signEnvelopeWithIdToken({ ...rel.payload, serial: nextSerial() }, (aud) =>
      down.sign(aud),
    );
    const res = await postWithoutBody(fresh.url, {
      ...rel,
      envelope,
      header: encodeEnvelopeHeader(envelope),
    });
    expect(res).toMatchObject({ status: 503, code: 'oidc-unavailable' });
    // Unverified, so counted and not audited: while the issuer is down anyone could flood the trail this way.
    expect(await auditLines(fresh.dataDir)).toHaveLength(0);
    await down.close();
  });
});
