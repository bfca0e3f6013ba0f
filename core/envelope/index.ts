// Envelope: DSSE signing and verification of release payloads, keys, serials and the HTTP header form.
export { EnvelopeError, KeyError, type EnvelopeErrorCode } from './errors.js';
export { keySignatures, pae, signEnvelope, verifyEnvelope } from './dsse.js';
export {
  HMAC_KEYID,
  MIN_HMAC_BYTES,
  ed25519KeyId,
  generateKeyPair,
  parsePublicKey,
  parseSigningKey,
  parseVerifyKeys,
  type GeneratedKeyPair,
  type SigningKey,
  type VerifyKey,
} from './keys.js';
export { nextSerial } from './serial.js';
export {
  ENVELOPE_HEADER,
  MAX_ENVELOPE_HEADER_BYTES,
  decodeEnvelopeHeader,
  encodeEnvelopeHeader,
} from './header.js';
export { checkPayload, checkEnvelopeShape } from './payload-check.js';
