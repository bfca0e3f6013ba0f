// OIDC issuer keys: JWKS discovered through /.well-known/openid-configuration, cached, and served from cache in an outage.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { EnvelopeError } from './errors.js';
import { fetchWithTimeout } from '../fetch.js';

/** An unknown `kid` refetches the JWKS at most this often; a failed fetch is not retried sooner either. */
export const JWKS_REFETCH_MS = 60_000;
/** Known keys are refreshed this often so a key GitHub withdrew stops verifying (docs/security.md). */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** https, or plain http for a loopback host only (local issuers in tests); the message never echoes the URL. */
export function checkIssuerUrl(raw: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${what} is not a valid URL`);
  }
  if (u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname))) return u;
  throw new Error(`${what} must be https (plain http only for a loopback host)`);
}

function unavailable(why: string): EnvelopeError {
  return new EnvelopeError('oidc-unavailable', `the OIDC issuer's keys cannot be fetched: ${why}`);
}

/** A fetch that failed (network, timeout, non-200, not a JWKS), as opposed to a token no key matches. */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  return err instanceof TypeError || (err instanceof Error && err.name === 'AbortError');
}

type RemoteSet = ReturnType<typeof createRemoteJWKSet>;

export class IssuerKeys {
  private remote?: RemoteSet;
  private failedAt = -Infinity;
  private cached?: { jwks: JSONWebKeySet; local: ReturnType<typeof createLocalJWKSet> };

  constructor(readonly issuer: string) {}

  /** The jose key resolver: remote JWKS with jose's cooldown, and the last good set while the issuer is down. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const remote = this.remote ?? (await this.open());
    if (Date.now() - this.failedAt < JWKS_REFETCH_MS) return this.fromCache(header, token);
    try {
      return await remote(header, token);
    } catch (err) {
      if (!isFetchFailure(err)) throw err;
      this.failedAt = Date.now();
      return this.fromCache(header, token);
    }
  };

  private async open(): Promise<RemoteSet> {
    if (Date.now() - this.failedAt < JWKS_REFETCH_MS)
      throw unavailable('discovery failed less than a minute ago');
    try {
      this.remote = createRemoteJWKSet(await this.discover(), {
        cooldownDuration: JWKS_REFETCH_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        timeoutDuration: FETCH_TIMEOUT_MS,
      });
      return this.remote;
    } catch (err) {
      this.failedAt = Date.now();
      throw err instanceof EnvelopeError ? err : unavailable('discovery failed');
    }
  }

  /** OpenID Connect Discovery 1.0 §4: the document's `issuer` must be the one asked for. */
  private async discover(): Promise<URL> {
    const url = `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let res: Response;
    try {
      res = await fetchWithTimeout(url, { redirect: 'error', timeoutMs: FETCH_TIMEOUT_MS });
    } catch {
      throw unavailable('discovery request failed');
    }
    if (res.status !== 200) throw unavailable(`discovery answered HTTP ${res.status}`);
    const doc = (await res.json().catch(() => null)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (!doc || doc.issuer !== this.issuer) throw unavailable('the discovery document names another issuer');
    if (typeof doc.jwks_uri !== 'string') throw unavailable('the discovery document has no jwks_uri');
    try {
      return checkIssuerUrl(doc.jwks_uri, 'jwks_uri');
    } catch (err) {
      throw unavailable((err as Error).message);
    }
  }

  private fromCache(...args: Parameters<JWTVerifyGetKey>): ReturnType<JWTVerifyGetKey> {
    const jwks = this.remote?.jwks();
    if (!jwks) throw unavailable('the JWKS endpoint is unreachable and nothing is cached');
    if (this.cached?.jwks !== jwks) this.cached = { jwks, local: createLocalJWKSet(jwks) };
    return this.cached.local(...args);
  }
}
