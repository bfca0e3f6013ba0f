// Receiver-side release verification: key signatures and keyless OIDC tokens; any one that verifies is enough.
import { PAYLOAD_TYPE, type ReleasePayload } from '../payload.js';
import { keySignatureVerifies, pae, parsePayload } from './dsse.js';
import { EnvelopeError } from './errors.js';
import type { VerifyKey } from './keys.js';
import { jwtFromSignature, oidcAudience } from './oidc.js';
import { checkPayloadBinding, type OidcVerifier, type VerifyPath } from './oidc-verify.js';
import { checkEnvelopeShape } from './payload-check.js';

/** What the receiver trusts: configured keys, a GitHub OIDC policy, or both while migrating. */
export interface Trust {
  keys: VerifyKey[];
  oidc?: OidcVerifier;
}

/**
 * Verifies the envelope and only then parses its payload. keyid is a hint: every key is tried on every
 * signature, and every signature shaped like a JWT is tried as an OIDC token. When none verifies, the first
 * OIDC refusal is reported, since it says why better than `bad-signature`.
 */
export async function verifyRelease(
  envelope: unknown,
  trust: Trust,
  path: VerifyPath = 'push',
): Promise<ReleasePayload> {
  const env = checkEnvelopeShape(envelope);
  if (env.payloadType !== PAYLOAD_TYPE) throw new EnvelopeError('bad-payload-type', 'unexpected payloadType');
  if (trust.keys.length === 0 && !trust.oidc)
    throw new EnvelopeError('no-keys', 'no verification key configured');
  const body = Buffer.from(env.payload, 'base64');
  if (trust.keys.length > 0 && keySignatureVerifies(pae(env.payloadType, body), env.signatures, trust.keys))
    return parsePayload(body);
  let refusal: EnvelopeError | undefined;
  if (trust.oidc) {
    const audience = oidcAudience(env.payloadType, body);
    for (const s of env.signatures) {
      const jwt = jwtFromSignature(Buffer.from(s.sig, 'base64'));
      if (!jwt) continue;
      try {
        const claims = await trust.oidc.verify(jwt, audience, path);
        const payload = parsePayload(body);
        checkPayloadBinding(payload, claims);
        return payload;
      } catch (err) {
        if (!(err instanceof EnvelopeError)) throw err;
        refusal ??= err;
      }
    }
  }
  throw (
    refusal ??
    new EnvelopeError(
      'bad-signature',
      trust.oidc
        ? 'no signature verifies with a configured key or as a GitHub OIDC token'
        : 'no signature verifies with a configured key',
    )
  );
}
