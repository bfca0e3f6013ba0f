// A local GitHub Actions OIDC issuer on 127.0.0.1: discovery, JWKS, and the runner's ID-token endpoint, signed with jose.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface SigningKeyPair {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** PEM of the public key, for the HS256 key-confusion attack. */
  publicPem: string;
}

/** What the job the runtime issues tokens for looks like (GitHub's claim names). */
export interface JobClaims {
  repository: string;
  repository_id: string;
  repository_owner: string;
  ref: string;
  sha: string;
  workflow_ref: string;
  job_workflow_ref: string;
  environment?: string;
  event_name: string;
  [claim: string]: unknown;
}

export interface IssueOptions {
  key?: SigningKeyPair;
  /** Header overrides (alg, kid). */
  header?: Record<string, unknown>;
  /** Seconds from now; negative makes an expired token. GitHub's lifetime is 300 s after iat. */
  expiresIn?: number;
  iss?: string;
}

export interface IssuerRequest {
  path: string;
  query: Record<string, string>;
  authorization?: string;
  status: number;
}

export interface TestIssuer {
  /** The `iss` claim and SKILL_SYNC_OIDC_ISSUER. */
  issuer: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN, as the runner sets them with `permissions: id-token: write`. */
  runtimeEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  requests: IssuerRequest[];
  /** The job the ID-token endpoint issues for; tests edit it. */
  job: JobClaims;
  /** Options the ID-token endpoint signs with (an expired lifetime for the poll test). */
  endpointOptions: IssueOptions;
  /** Keys in the published JWKS; [0] signs by default. */
  published: SigningKeyPair[];
  /** When set, the JWKS endpoint answers this status (an outage). */
  jwksDownStatus?: number;
  jwksFetches(): number;
  /** A new key, published or not. */
  newKey(alg?: 'RS256' | 'ES256'): Promise<SigningKeyPair>;
  /** Publishes a new key and withdraws every old one. */
  rotate(): Promise<SigningKeyPair>;
  /** Signs `claims` (job claims + aud + times unless overridden) the way GitHub does. */
  sign(aud: string, claims?: Record<string, unknown>, opts?: IssueOptions): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_JOB: JobClaims = {
  repository: 'acme/skills',
  repository_id: '424242',
  repository_owner: 'acme',
  repository_owner_id: '4242',
  ref: 'refs/heads/main',
  ref_type: 'branch',
  sha: 'a'.repeat(40),
  workflow: 'deploy skills',
  workflow_ref: 'acme/skills/.github/workflows/skills.yml@refs/heads/main',
  job_workflow_ref: 'acme/skills/.github/workflows/skills.yml@refs/heads/main',
  event_name: 'push',
  actor: 'octocat',
  run_id: '1',
  run_attempt: '1',
};

export async function makeKey(alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  };
}

export async function startIssuer(job: Partial<JobClaims> = {}): Promise<TestIssuer> {
  const requestToken = `rt-${randomBytes(12).toString('hex')}`;
  const requests: IssuerRequest[] = [];
  let base = '';
  const iss: TestIssuer = {
    issuer: '',
    runtimeEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken },
    requests,
    job: { ...DEFAULT_JOB, ...job },
    endpointOptions: {},
    published: [await makeKey()],
    jwksFetches: () => requests.filter((r) => r.path === '/.well-known/jwks').length,
    newKey: (alg) => makeKey(alg),
    async rotate() {
      const k = await makeKey();
      iss.published = [k];
      return k;
    },
    async sign(aud, claims = {}, opts = {}) {
      const key = opts.key ?? iss.published[0]!;
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (opts.expiresIn ?? 300);
      const iat = exp - 300;
      // GitHub's shape: nbf ten minutes before iat, exp five minutes after it.
      return new SignJWT({
        jti: randomUUID(),
        sub: `repo:${iss.job.repository}:ref:${iss.job.ref}`,
        ...iss.job,
        iss: opts.iss ?? iss.issuer,
        aud,
        iat,
        nbf: iat - 600,
        exp,
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...opts.header })
        .sign(key.privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const reply = (res: http.ServerResponse, rec: IssuerRequest, status: number, body: unknown) => {
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const rec: IssuerRequest = {
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(rec);
    if (url.pathname === '/.well-known/openid-configuration')
      return reply(res, rec, 200, {
        issuer: iss.issuer,
        jwks_uri: `${base}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'sha'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
    if (url.pathname === '/.well-known/jwks') {
      if (iss.jwksDownStatus) return reply(res, rec, iss.jwksDownStatus, { message: 'unavailable' });
      return reply(res, rec, 200, { keys: iss.published.map((k) => k.publicJwk) });
    }
    // The Actions runtime: GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=…, bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN.
    if (url.pathname === '/idtoken') {
      if (req.headers.authorization !== `Bearer ${requestToken}`)
        return reply(res, rec, 401, { message: 'bad runtime token' });
      const aud = url.searchParams.get('audience');
      if (!aud) return reply(res, rec, 400, { message: 'audience required' });
      void iss.sign(aud, {}, iss.endpointOptions).then(
        (value) => reply(res, rec, 200, { value }),
        (err: Error) => reply(res, rec, 500, { message: err.message }),
      );
      return;
    }
    reply(res, rec, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  iss.issuer = base;
  iss.runtimeEnv.ACTIONS_ID_TOKEN_REQUEST_URL = `${base}/idtoken?api-version=2.0`;
  return iss;
}
