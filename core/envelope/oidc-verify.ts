// Keyless verification: a GitHub Actions ID token checked with jose against the issuer and the receiver's policy.
import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { ReleasePayload } from '../payload.js';
import { EnvelopeError, type OidcErrorCode } from './errors.js';
import { IssuerKeys } from './oidc-issuer.js';

/** Who may deploy: SKILL_SYNC_OIDC_* (docs/receiver.md). */
export interface OidcPolicy {
  issuer: string;
  /** `owner/repo`, compared without case as GitHub does. */
  repository: string;
  repositoryId?: string;
  /** Exact refs; a trailing `*` matches a prefix (`refs/tags/v*`). */
  refs: string[];
  /** Workflow file paths (`.github/workflows/deploy.yml`), or `owner/repo/path` for a reusable workflow elsewhere. */
  workflows: string[];
  environment?: string;
}

/** The push path checks time; the poll path verifies a token as of its own last valid second (docs/security.md). */
export type VerifyPath = 'push' | 'poll';

/** The claims of GitHub's token that skill-sync reads. */
export interface GitHubClaims extends JWTPayload {
  repository?: string;
  repository_id?: string;
  ref?: string;
  sha?: string;
  workflow_ref?: string;
  job_workflow_ref?: string;
  environment?: string;
}

/** RSA for github.com today, EC allowed for issuers that use it; never `none` or an HMAC algorithm. */
const ALGORITHMS = ['RS256', 'ES256'];
const CLOCK_SKEW_S = 60;
/** GitHub's tokens live minutes; an older `iat` is not one of theirs. */
const MAX_TOKEN_AGE_S = 3600;

function fail(code: OidcErrorCode, message: string): EnvelopeError {
  return new EnvelopeError(code, message);
}

/** A claim value for a message: short, printable, never a whole token. */
function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v.slice(0, 200).replace(/[^\x20-\x7e]/g, '?')}'` : 'none';
}

function joseRefusal(err: unknown): EnvelopeError {
  if (err instanceof EnvelopeError) return err;
  if (err instanceof errors.JOSEAlgNotAllowed)
    return fail('oidc-alg', `token algorithm not allowed (only ${ALGORITHMS.join(', ')})`);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return fail('oidc-bad-signature', "the token's signature does not verify with the issuer's key");
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return fail(
      'oidc-unknown-key',
      "no key in the issuer's JWKS matches the token's kid (refetched at most once a minute)",
    );
  if (err instanceof errors.JWTExpired) return fail('oidc-expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return fail('oidc-issuer', 'the token comes from another issuer');
    if (err.claim === 'aud')
      return fail('oidc-audience', 'the token was issued for another payload (audience mismatch)');
    if ((err.claim === 'nbf' || err.claim === 'iat') && err.reason === 'check_failed')
      return fail('oidc-not-yet-valid', `the token is not valid yet (${err.claim})`);
    return fail('oidc-malformed', `token claim ${err.claim}: ${err.reason}`);
  }
  return fail('oidc-malformed', 'the signature is not a valid JWT');
}

/** A ref against an allowlist entry: exact, or a prefix when the entry ends in `*` (`refs/tags/v*`). */
export function refMatches(ref: string, allowed: string): boolean {
  return allowed.endsWith('*') ? ref.startsWith(allowed.slice(0, -1)) : ref === allowed;
}

/** `owner/repo/path@ref` → owner/repo and path. */
function splitWorkflowRef(value: unknown): { repository: string; path: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([^/]+\/[^/]+)\/([^@]+)@/.exec(value);
  return m ? { repository: m[1]!, path: m[2]! } : undefined;
}

export class OidcVerifier {
  private readonly keys: IssuerKeys;

  constructor(readonly policy: OidcPolicy) {
    this.keys = new IssuerKeys(policy.issuer);
  }

  /** Verifies the token for `audience` and the policy; returns its claims. Throws EnvelopeError with an oidc-* code. */
  async verify(jwt: string, audience: string, path: VerifyPath): Promise<GitHubClaims> {
    const { issuer } = this.policy;
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(jwt);
    } catch {
      throw fail('oidc-malformed', 'the signature is not a valid JWT');
    }
    // Refused before any fetch: a token from elsewhere never makes us contact its issuer or ours.
    if (unverified.iss !== issuer)
      throw fail('oidc-issuer', `token issuer ${shown(unverified.iss)} is not SKILL_SYNC_OIDC_ISSUER`);
    const options: JWTVerifyOptions = {
      algorithms: ALGORITHMS,
      issuer,
      audience,
      clockTolerance: CLOCK_SKEW_S,
      maxTokenAge: MAX_TOKEN_AGE_S,
      requiredClaims: ['iat', 'exp'],
    };
    let claims: GitHubClaims;
    try {
      claims = (await jwtVerify<GitHubClaims>(jwt, this.keys.getKey, options)).payload;
    } catch (err) {
      const exp = (err as { payload?: JWTPayload }).payload?.exp;
      if (!(path === 'poll' && err instanceof errors.JWTExpired && typeof exp === 'number'))
        throw joseRefusal(err);
      // Every check again, as of the token's last valid second: only the clock is forgiven.
      try {
        const at = new Date((exp - 1) * 1000);
        claims = (await jwtVerify<GitHubClaims>(jwt, this.keys.getKey, { ...options, currentDate: at }))
          .payload;
      } catch (again) {
        throw joseRefusal(again);
      }
    }
    // GitHub mints exactly one audience; a list that merely contains ours was made for someone else too.
    if (claims.aud !== audience)
      throw fail('oidc-audience', 'the token was issued for another payload (audience mismatch)');
    this.checkPolicy(claims);
    return claims;
  }

  private checkPolicy(c: GitHubClaims): void {
    const p = this.policy;
    if (typeof c.repository !== 'string' || c.repository.toLowerCase() !== p.repository.toLowerCase())
      throw fail('oidc-repository', `token repository ${shown(c.repository)} is not ${shown(p.repository)}`);
    if (p.repositoryId !== undefined && c.repository_id !== p.repositoryId)
      throw fail(
        'oidc-repository-id',
        `token repository_id ${shown(c.repository_id)} is not ${shown(p.repositoryId)} (a repository recreated under the same name?)`,
      );
    const ref = c.ref;
    if (typeof ref !== 'string' || !p.refs.some((r) => refMatches(ref, r)))
      throw fail('oidc-ref', `token ref ${shown(ref)} is not in SKILL_SYNC_OIDC_REFS`);
    if (p.workflows.length > 0) {
      const refs = [splitWorkflowRef(c.job_workflow_ref), splitWorkflowRef(c.workflow_ref)];
      const ok = refs.some(
        (w) =>
          w !== undefined &&
          p.workflows.some(
            (entry) =>
              (entry === w.path && w.repository.toLowerCase() === p.repository.toLowerCase()) ||
              entry === `${w.repository}/${w.path}`,
          ),
      );
      if (!ok)
        throw fail(
          'oidc-workflow',
          `token workflow ${shown(c.job_workflow_ref ?? c.workflow_ref)} is not in SKILL_SYNC_OIDC_WORKFLOWS`,
        );
    }
    if (p.environment !== undefined && c.environment !== p.environment)
      throw fail(
        'oidc-environment',
        `token environment ${shown(c.environment)} is not ${shown(p.environment)} (the job needs environment: ${p.environment})`,
      );
  }
}

/** The signed payload must describe the job the token was issued to: same repository, ref and commit. */
export function checkPayloadBinding(payload: ReleasePayload, c: GitHubClaims): void {
  const same =
    typeof c.repository === 'string' &&
    payload.repository.toLowerCase() === c.repository.toLowerCase() &&
    payload.ref === c.ref &&
    payload.commit === c.sha;
  if (!same)
    throw fail(
      'oidc-payload-mismatch',
      `payload ${payload.repository}@${payload.ref} (${payload.commit.slice(0, 12)}) is not the token's ${shown(c.repository)}@${shown(c.ref)} (${shown(c.sha?.slice(0, 12))})`,
    );
}
