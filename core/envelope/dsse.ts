// DSSE envelope: sign and verify `PAE(payloadType, payload)` with Ed25519 or HMAC-SHA256.
import { createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import { PAYLOAD_TYPE, type Envelope, type ReleasePayload } from '../payload.js';
import { EnvelopeError } from './errors.js';
import type { SigningKey, VerifyKey } from './keys.js';
import { checkEnvelopeShape, checkPayload } from './payload-check.js';

/** DSSE pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body (byte lengths). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

function signOne(message: Buffer, key: SigningKey): Buffer {
  if (key.kind === 'ed25519') return sign(null, message, key.key);
  return createHmac('sha256', key.secret).update(message).digest();
}

/** Key signatures over payload bytes already serialised (the OIDC signer adds these next to its token). */
export function keySignatures(body: Buffer, keys: SigningKey[]): Envelope['signatures'] {
  const message = pae(PAYLOAD_TYPE, body);
  return keys.map((k) => ({ keyid: k.keyid, sig: signOne(message, k).toString('base64') }));
}

export function signEnvelope(payload: ReleasePayload, keys: SigningKey[]): Envelope {
  if (keys.length === 0) throw new EnvelopeError('no-keys', 'no signing key');
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    payload: body.toString('base64'),
    payloadType: PAYLOAD_TYPE,
    signatures: keySignatures(body, keys),
  };
}

function verifies(message: Buffer, sig: Buffer, key: VerifyKey): boolean {
  if (key.kind === 'ed25519') {
    if (sig.length !== 64) return false;
    try {
      return verify(null, message, key.key, sig);
    } catch {
      return false;
    }
  }
  const expected = createHmac('sha256', key.secret).update(message).digest();
  return sig.length === expected.length && timingSafeEqual(sig, expected);
}

/** Every key is tried against every signature: keyid is a hint and never selects or skips a key. */
export function keySignatureVerifies(
  message: Buffer,
  signatures: Envelope['signatures'],
  keys: VerifyKey[],
): boolean {
  let ok = false;
  for (const s of signatures) {
    const sig = Buffer.from(s.sig, 'base64');
    for (const key of keys) ok = verifies(message, sig, key) || ok; // no early exit: same work either way
  }
  return ok;
}

/** Verifies the envelope and only then parses its payload. */
export function verifyEnvelope(envelope: unknown, keys: VerifyKey[]): ReleasePayload {
  const env = checkEnvelopeShape(envelope);
  if (env.payloadType !== PAYLOAD_TYPE) throw new EnvelopeError('bad-payload-type', 'unexpected payloadType');
  if (keys.length === 0) throw new EnvelopeError('no-keys', 'no verification key configured');
  const body = Buffer.from(env.payload, 'base64');
  if (!keySignatureVerifies(pae(env.payloadType, body), env.signatures, keys))
    throw new EnvelopeError('bad-signature', 'no signature verifies with a configured key');
  return parsePayload(body);
}

/** Only for bytes a signature has covered. */
export function parsePayload(body: Buffer): ReleasePayload {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new EnvelopeError('bad-payload', 'payload is not JSON');
  }
  return checkPayload(doc);
}
