// Signing and verification keys: Ed25519 (recommended) or an HMAC-SHA256 shared secret.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { KeyError } from './errors.js';

export type SigningKey =
  { kind: 'ed25519'; keyid: string; key: KeyObject } | { kind: 'hmac'; keyid: string; secret: Buffer };
export type VerifyKey =
  { kind: 'ed25519'; keyid: string; key: KeyObject } | { kind: 'hmac'; keyid: string; secret: Buffer };

/** keyid of every HMAC key: derived from nothing secret, since a hash of a weak secret aids brute force. */
export const HMAC_KEYID = 'hmac-sha256';
export const MIN_HMAC_BYTES = 32;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function spki(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

/** Short hex of sha256(SPKI DER): a hint for humans and logs, never used to pick or skip a key. */
export function ed25519KeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(spki(publicKey)).digest('hex').slice(0, 16);
}

function hmacKey(secret: Buffer, what: string): { kind: 'hmac'; keyid: string; secret: Buffer } {
  if (secret.length < MIN_HMAC_BYTES) {
    throw new KeyError(`${what} is too short: an HMAC secret needs at least ${MIN_HMAC_BYTES} bytes`);
  }
  return { kind: 'hmac', keyid: HMAC_KEYID, secret };
}

/**
 * The shapes of a public key that users paste where the private one belongs. Used as an HMAC secret, such a
 * value signs happily and every receiver answers `bad-signature`, so it is refused with the fix instead.
 */
function publicKeyShape(trimmed: string): string | undefined {
  if (/^(?:SKILL_SYNC_PUBLIC_KEYS=)?ed25519:[A-Za-z0-9+/_=-]+$/.test(trimmed))
    return 'the `ed25519:…` public key that keygen prints';
  if (/^ssh-ed25519 AAAA/.test(trimmed)) return 'an OpenSSH public key (ssh-ed25519)';
  if (/-----BEGIN (?:[A-Z]+ )?PUBLIC KEY-----/.test(trimmed)) return 'a PEM public key';
  return undefined;
}

/** An Ed25519 private key in PEM, or else an HMAC secret (its bytes as given, trimmed); public keys are refused. */
export function parseSigningKey(text: string): SigningKey {
  const trimmed = text.trim();
  const shape = publicKeyShape(trimmed);
  if (shape) {
    throw new KeyError(
      `signing key: this is ${shape}, which verifies but cannot sign. Give the private key ` +
        '(the PEM file keygen wrote, `-----BEGIN PRIVATE KEY-----`), and put the public key on the receiver ' +
        '(SKILL_SYNC_PUBLIC_KEYS)',
    );
  }
  if (trimmed.includes('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPrivateKey(trimmed);
    } catch {
      throw new KeyError('signing key: PEM could not be parsed as a private key');
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new KeyError(`signing key: PEM is ${key.asymmetricKeyType ?? 'unknown'}, expected Ed25519`);
    }
    return { kind: 'ed25519', keyid: ed25519KeyId(createPublicKey(key)), key };
  }
  return hmacKey(Buffer.from(trimmed, 'utf8'), 'signing key');
}

function ed25519Public(key: KeyObject, what: string): VerifyKey {
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${what} is not an Ed25519 key`);
  return { kind: 'ed25519', keyid: ed25519KeyId(key), key };
}

/** `ed25519:<base64>` of a raw 32-byte key or of SPKI DER. */
function parseCompactPublicKey(token: string, what: string): VerifyKey {
  const b64 = token.slice('ed25519:'.length);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new KeyError(`${what}: not base64`);
  const der = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const full = der.length === 32 ? Buffer.concat([ED25519_SPKI_PREFIX, der]) : der;
  try {
    return ed25519Public(createPublicKey({ key: full, format: 'der', type: 'spki' }), what);
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`${what}: not an Ed25519 public key`);
  }
}

/** Parses one public key given as PEM or `ed25519:…` (also used by the CLI's --public-key). */
export function parsePublicKey(text: string, what = 'public key'): VerifyKey {
  const t = text.trim();
  if (t.startsWith('ed25519:')) return parseCompactPublicKey(t, what);
  if (t.includes('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPublicKey(t);
    } catch {
      throw new KeyError(`${what}: PEM could not be parsed as a public key`);
    }
    return ed25519Public(key, what);
  }
  throw new KeyError(`${what}: expected PEM or ed25519:<base64>`);
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;

/**
 * Receiver keys from configuration. Lists are separated by commas, whitespace or newlines; PEM
 * blocks (which contain newlines themselves) are taken whole first.
 */
export function parseVerifyKeys(env: { publicKeys?: string; hmacSecrets?: string }): VerifyKey[] {
  const keys: VerifyKey[] = [];
  if (env.publicKeys) {
    const pems = env.publicKeys.match(PEM_BLOCK) ?? [];
    const rest = env.publicKeys.replace(PEM_BLOCK, ' ');
    const tokens = rest.split(/[\s,]+/).filter(Boolean);
    [...pems, ...tokens].forEach((t, i) => keys.push(parsePublicKey(t, `public key #${i + 1}`)));
  }
  if (env.hmacSecrets) {
    env.hmacSecrets
      .split(/[\s,]+/)
      .filter(Boolean)
      .forEach((s, i) => keys.push(hmacKey(Buffer.from(s, 'utf8'), `HMAC secret #${i + 1}`)));
  }
  return keys;
}

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  /** One token for SKILL_SYNC_PUBLIC_KEYS: `ed25519:<base64 of the raw 32-byte key>`. */
  publicKeySetting: string;
  keyid: string;
}

export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = spki(publicKey).subarray(ED25519_SPKI_PREFIX.length);
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeySetting: `ed25519:${raw.toString('base64')}`,
    keyid: ed25519KeyId(publicKey),
  };
}
