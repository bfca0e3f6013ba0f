// DSSE envelope: PAE vector, Ed25519 and HMAC round trips, tampering, wrong keys, rotation, header form.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EnvelopeError,
  KeyError,
  decodeEnvelopeHeader,
  encodeEnvelopeHeader,
  generateKeyPair,
  nextSerial,
  pae,
  parseSigningKey,
  parseVerifyKeys,
  signEnvelope,
  verifyEnvelope,
  type VerifyKey,
} from '../../core/envelope/index.js';
import { PAYLOAD_TYPE, type Envelope, type ReleasePayload } from '../../core/payload.js';

const payload: ReleasePayload = {
  v: 1,
  repository: 'kurultai/skills',
  ref: 'refs/heads/main',
  commit: 'a'.repeat(40),
  serial: 1_700_000_000_000,
  createdAt: '2024-01-01T00:00:00.000Z',
  trigger: 'push',
  bundle: { sha256: 'b'.repeat(64), size: 1234 },
  skills: 3,
};

const SECRET = 'x'.repeat(20) + 'shared-secret-0123456789';
const ed = generateKeyPair();
const ed2 = generateKeyPair();
const edSign = parseSigningKey(ed.privateKeyPem);
const edVerify = parseVerifyKeys({ publicKeys: ed.publicKeySetting });
const hmacSign = parseSigningKey(SECRET);
const hmacVerify = parseVerifyKeys({ hmacSecrets: SECRET });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvelopeError) return err.code;
    throw err;
  }
  return 'ok';
}

/** Flip one bit of the decoded bytes of a base64 field. */
function flip(b64: string, index: number): string {
  const buf = Buffer.from(b64, 'base64');
  buf[index % buf.length]! ^= 0x01;
  return buf.toString('base64');
}

describe('pae', () => {
  it('matches the DSSE specification test vector', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
  it('counts bytes, not characters', () => {
    expect(pae('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  it.each([
    ['ed25519', edSign, edVerify],
    ['hmac', hmacSign, hmacVerify],
  ] as const)('%s round trip returns the payload', (_k, s, v) => {
    const env = signEnvelope(payload, [s]);
    expect(env.payloadType).toBe(PAYLOAD_TYPE);
    expect(verifyEnvelope(JSON.parse(JSON.stringify(env)), v)).toEqual(payload);
  });

  it.each([
    ['ed25519', edSign, edVerify],
    ['hmac', hmacSign, hmacVerify],
  ] as const)('%s: one flipped bit in payload, signature or payloadType fails', (_k, s, v) => {
    const env = signEnvelope(payload, [s]);
    for (const i of [0, 17, 100]) {
      expect(code(() => verifyEnvelope({ ...env, payload: flip(env.payload, i) }, v))).toBe('bad-signature');
      const sig = flip(env.signatures[0]!.sig, i);
      expect(
        code(() => verifyEnvelope({ ...env, signatures: [{ keyid: env.signatures[0]!.keyid, sig }] }, v)),
      ).toBe('bad-signature');
    }
    expect(
      code(() => verifyEnvelope({ ...env, payloadType: PAYLOAD_TYPE.replace('release', 'relEase') }, v)),
    ).toBe('bad-payload-type');
  });

  it('a wrong key fails, and an HMAC key never verifies an Ed25519 signature or the reverse', () => {
    const edEnv = signEnvelope(payload, [edSign]);
    const hmacEnv = signEnvelope(payload, [hmacSign]);
    expect(code(() => verifyEnvelope(edEnv, parseVerifyKeys({ publicKeys: ed2.publicKeySetting })))).toBe(
      'bad-signature',
    );
    expect(code(() => verifyEnvelope(hmacEnv, parseVerifyKeys({ hmacSecrets: SECRET + 'x' })))).toBe(
      'bad-signature',
    );
    expect(code(() => verifyEnvelope(edEnv, hmacVerify))).toBe('bad-signature');
    expect(code(() => verifyEnvelope(hmacEnv, edVerify))).toBe('bad-signature');
    // An HMAC secret that equals the Ed25519 public key bytes must not help either.
    const rawPub = Buffer.from(ed.publicKeySetting.slice('ed25519:'.length), 'base64').toString('latin1');
    expect(
      code(() =>
        verifyEnvelope(edEnv, [{ kind: 'hmac', keyid: 'x', secret: Buffer.from(rawPub, 'latin1') }]),
      ),
    ).toBe('bad-signature');
  });

  it('accepts any one valid key among several (rotation), whatever the keyid says', () => {
    const env = signEnvelope(payload, [edSign]);
    const keys: VerifyKey[] = parseVerifyKeys({
      publicKeys: `${ed2.publicKeySetting},\n${ed.publicKeyPem}`,
      hmacSecrets: SECRET,
    });
    expect(keys.map((k) => k.kind)).toEqual(['ed25519', 'ed25519', 'hmac']);
    expect(verifyEnvelope(env, keys)).toEqual(payload);
    const lying = { ...env, signatures: [{ keyid: 'some-other-key', sig: env.signatures[0]!.sig }] };
    expect(verifyEnvelope(lying, keys)).toEqual(payload);
    // Two signatures (old and new key during rotation): a receiver with either key accepts.
    const both = signEnvelope(payload, [parseSigningKey(ed2.privateKeyPem), hmacSign]);
    expect(verifyEnvelope(both, edVerify.concat(hmacVerify))).toEqual(payload);
    expect(verifyEnvelope(both, parseVerifyKeys({ publicKeys: ed2.publicKeyPem }))).toEqual(payload);
  });

  it('refuses with no keys, malformed envelopes and too many signatures', () => {
    const env = signEnvelope(payload, [edSign]);
    expect(code(() => verifyEnvelope(env, []))).toBe('no-keys');
    expect(code(() => verifyEnvelope(null, edVerify))).toBe('malformed');
    expect(code(() => verifyEnvelope({ ...env, signatures: [] }, edVerify))).toBe('malformed');
    expect(code(() => verifyEnvelope({ ...env, payload: 'not base64!' }, edVerify))).toBe('malformed');
    const many = Array.from({ length: 9 }, () => env.signatures[0]!);
    expect(code(() => verifyEnvelope({ ...env, signatures: many }, edVerify))).toBe('malformed');
  });

  it('validates the signed payload strictly after the signature', () => {
    const bad = (p: Record<string, unknown>) =>
      code(() => verifyEnvelope(signEnvelope(p as unknown as ReleasePayload, [hmacSign]), hmacVerify));
    expect(bad({ ...payload, v: 2 })).toBe('bad-payload');
    expect(bad({ ...payload, serial: 0 })).toBe('bad-payload');
    expect(bad({ ...payload, serial: 1.5 })).toBe('bad-payload');
    expect(bad({ ...payload, trigger: 'webhook' })).toBe('bad-payload');
    expect(bad({ ...payload, bundle: { sha256: 'B'.repeat(64), size: 1 } })).toBe('bad-payload');
    expect(bad({ ...payload, bundle: { sha256: 'b'.repeat(64), size: -1 } })).toBe('bad-payload');
    expect(bad({ ...payload, commit: 7 })).toBe('bad-payload');
    expect(bad({ ...payload, extra: true })).toBe('bad-payload');
    expect(bad({ ...payload })).toBe('ok');
  });
});

describe('keys', () => {
  it('refuses short HMAC secrets and non-Ed25519 PEM keys without echoing them', () => {
    expect(() => parseSigningKey('short-secret')).toThrow(KeyError);
    expect(() => parseSigningKey('short-secret')).not.toThrow(/short-secret/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parseSigningKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(
      /Ed25519/,
    );
    expect(() => parseVerifyKeys({ publicKeys: 'ed25519:AAAA' })).toThrow(KeyError);
    expect(() => parseVerifyKeys({ hmacSecrets: 'tooshort' })).toThrow(/at least 32 bytes/);
  });

  it('gives Ed25519 keys a stable short keyid and HMAC keys a constant one', () => {
    expect(edSign.keyid).toMatch(/^[0-9a-f]{16}$/);
    expect(edSign.keyid).toBe(ed.keyid);
    expect(edVerify[0]!.keyid).toBe(ed.keyid);
    expect(hmacSign.keyid).toBe('hmac-sha256');
  });

  it('accepts the public key as PEM, raw base64 and SPKI DER base64', () => {
    const spki = Buffer.from(ed.publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString(
      'base64',
    );
    for (const form of [ed.publicKeyPem, ed.publicKeySetting, `ed25519:${spki}`]) {
      expect(parseVerifyKeys({ publicKeys: form })[0]!.keyid).toBe(ed.keyid);
    }
  });
});

describe('serial', () => {
  it('is now in ms, and strictly greater than the previous one', () => {
    const before = Date.now();
    const s = nextSerial();
    expect(s).toBeGreaterThanOrEqual(before);
    expect(nextSerial(s + 10_000)).toBe(s + 10_001);
    const seen = [nextSerial()];
    for (let i = 0; i < 50; i++) seen.push(nextSerial(seen.at(-1)));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  });
});

describe('envelope header', () => {
  const env = signEnvelope(payload, [edSign]);

  it('round trips through base64url', () => {
    const h = encodeEnvelopeHeader(env);
    expect(h).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodeEnvelopeHeader(h);
    expect(back).toEqual(env);
    expect(verifyEnvelope(back, edVerify)).toEqual(payload);
  });

  it('refuses oversized, non-base64url and non-envelope values as malformed', () => {
    const big: Envelope = { ...env, payload: Buffer.alloc(20_000).toString('base64') };
    expect(code(() => decodeEnvelopeHeader(encodeEnvelopeHeader(big)))).toBe('malformed');
    expect(code(() => decodeEnvelopeHeader(encodeEnvelopeHeader(env), 100))).toBe('malformed');
    expect(code(() => decodeEnvelopeHeader('a'.repeat(17 * 1024)))).toBe('malformed');
    expect(code(() => decodeEnvelopeHeader('not base64 !'))).toBe('malformed');
    expect(code(() => decodeEnvelopeHeader(Buffer.from('[1,2]').toString('base64url')))).toBe('malformed');
    expect(code(() => decodeEnvelopeHeader(''))).toBe('malformed');
  });
});
