// Keyless signing: a GitHub Actions OIDC ID token whose audience binds it to one exact DSSE payload (docs/security.md).
import { createHash } from 'node:crypto';
import { PAYLOAD_TYPE, type Envelope, type ReleasePayload } from '../payload.js';
import { pae } from './dsse.js';

/** keyid of an OIDC signature: a hint only, the receiver recognises a token by its shape. */
export const OIDC_KEYID = 'github-oidc';
export const AUDIENCE_PREFIX = 'skill-sync:';
/** GitHub Actions' token issuer; GHE.com tenants and tests configure their own. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** `skill-sync:` + lowercase hex sha256 of PAE(payloadType, payload): the token is good for this payload only. */
export function oidcAudience(payloadType: string, payload: Buffer): string {
  return AUDIENCE_PREFIX + createHash('sha256').update(pae(payloadType, payload)).digest('hex');
}

/** Asks the CI for an ID token with the given audience (the Action passes core.getIDToken). */
export type IdTokenSource = (audience: string) => Promise<string>;

/**
 * The envelope of `payload` signed by an ID token, plus any key signatures made over the same bytes
 * (both at once lets receivers move from keys to OIDC one at a time).
 */
export async function signEnvelopeWithIdToken(
  payload: ReleasePayload,
  getIdToken: IdTokenSource,
  alsoSignedBy: (body: Buffer) => Envelope['signatures'] = () => [],
): Promise<Envelope> {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const jwt = await getIdToken(oidcAudience(PAYLOAD_TYPE, body));
  return {
    payload: body.toString('base64'),
    payloadType: PAYLOAD_TYPE,
    signatures: [
      { keyid: OIDC_KEYID, sig: Buffer.from(jwt, 'ascii').toString('base64') },
      ...alsoSignedBy(body),
    ],
  };
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** The JWT in a signature entry, or undefined when the bytes are not a compact JWS (an Ed25519 or HMAC sig). */
export function jwtFromSignature(sig: Buffer): string | undefined {
  if (sig.length < 16 || sig.length > 8192) return undefined;
  const text = sig.toString('latin1');
  return COMPACT_JWS.test(text) ? text : undefined;
}
