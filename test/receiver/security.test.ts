// Refusals over HTTP against a real receiver: broken signatures, key confusion, replays, headers, hostile bundles.
import { createHmac, sign as edSign, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeEnvelopeHeader, pae, parseSigningKey } from '../../core/envelope/index.js';
import { PAYLOAD_TYPE, type Envelope } from '../../core/payload.js';
import { liveTree } from '../engine/helpers.js';
import { allHostileBundles, type HostileBundle } from '../support/hostile.js';
import { startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, signBundle, type SignedRelease } from '../support/release.js';

const key = ed25519Key();
const hmacSecret = 'h'.repeat(20) + 'mac-secret-for-tests-0123456789';
let rx: ReceiverProcess;
let live: SignedRelease;
let liveSnapshot: Record<string, string>;

/** Every path under `dir`, with a type letter, so any stray write shows up. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string) => {
    for (const name of await readdir(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(path.join(dir, r));
      out.push(`${st.isDirectory() ? 'd' : st.isFile() ? 'f' : 'o'} ${r}`);
      if (st.isDirectory()) await visit(r);
    }
  };
  await visit('');
  return out.sort();
}

/** Paths outside the audit file and the engine's scratch folders: releases, live tree, state. */
const durable = async () =>
  (await walk(rx.dataDir)).filter((p) => !/skill-sync\/(audit|staging|tmp|poller)/.test(p));

const reEncode = (env: Envelope) => encodeEnvelopeHeader(env);
const decode = (header: string) => JSON.parse(Buffer.from(header, 'base64url').toString()) as Envelope;

beforeAll(async () => {
  rx = await startReceiver({
    env: {
      SKILL_SYNC_PUBLIC_KEYS: key.publicKeys,
      SKILL_SYNC_HMAC_SECRETS: hmacSecret,
      MAX_ENVELOPE_BYTES: '4096',
    },
  });
  live = await buildRelease({ keep: { version: '1.0.0' } }, key.signing);
  expect((await postBundle(rx.url, live)).status).toBe(201);
  liveSnapshot = await liveTree(path.join(rx.dataDir, 'skills'));
});
afterAll(async () => {
  await rx?.stop();
});

describe('signatures, replays and headers', () => {
  // Signed afresh for each test, so that it is newer than whatever another test made live.
  let next: SignedRelease;
  beforeEach(async () => {
    next = await buildRelease({ keep: { version: '2.0.0' } }, key.signing);
  });

  const cases: [string, () => { bundle: Buffer; header?: string }, number, string][] = [
    [
      'one flipped bit in the body',
      () => ({ ...next, bundle: flip(next.bundle, 100) }),
      400,
      'digest-mismatch',
    ],
    [
      'one flipped bit in the envelope payload',
      () => {
        const env = decode(next.header);
        const raw = Buffer.from(env.payload, 'base64');
        const i = raw.indexOf('acme');
        return { ...next, header: reEncode({ ...env, payload: flip(raw, i).toString('base64') }) };
      },
      401,
      'bad-signature',
    ],
    [
      'one flipped bit in the signature',
      () => {
        const env = decode(next.header);
        const sig = flip(Buffer.from(env.signatures[0]!.sig, 'base64'), 5).toString('base64');
        return { ...next, header: reEncode({ ...env, signatures: [{ ...env.signatures[0]!, sig }] }) };
      },
      401,
      'bad-signature',
    ],
    [
      'a key the receiver does not know',
      () => signBundle(next.bundle, [ed25519Key().signing]),
      401,
      'bad-signature',
    ],
    [
      "the receiver's Ed25519 public key used as an HMAC secret (key confusion)",
      () => {
        const pub = createPublicKey(createPrivateKey(key.privateKeyPem)).export({
          type: 'spki',
          format: 'der',
        });
        return signWith(next, (m) => createHmac('sha256', pub).update(m).digest());
      },
      401,
      'bad-signature',
    ],
    [
      'an HMAC secret the receiver does not hold',
      () => signBundle(next.bundle, [parseSigningKey('x'.repeat(48))]),
      401,
      'bad-signature',
    ],
    [
      'a wrong payloadType',
      () => signWith(next, (m) => edSign(null, m, createPrivateKey(key.privateKeyPem)), 'application/json'),
      401,
      'bad-payload-type',
    ],
    ['a missing header', () => ({ bundle: next.bundle }), 401, 'missing-envelope'],
    [
      'a header over MAX_ENVELOPE_BYTES',
      () => ({ bundle: next.bundle, header: 'A'.repeat(8000) }),
      401,
      'malformed',
    ],
    ['a header that is not base64url JSON', () => ({ bundle: next.bundle, header: '%%%' }), 401, 'malformed'],
  ];

  it.each(cases)('refuses %s', async (_name, make, status, code) => {
    const res = await postBundle(rx.url, make());
    expect(res.status).toBe(status);
    expect((res.json.error as { code: string }).code).toBe(code);
    expect(await liveTree(path.join(rx.dataDir, 'skills'))).toEqual(liveSnapshot);
  });

  it('accepts a valid HMAC signature too (both key kinds configured)', async () => {
    const rel = await buildRelease({ keep: { version: '1.5.0' } }, parseSigningKey(hmacSecret));
    expect((await postBundle(rx.url, rel)).status).toBe(201);
    live = rel;
    liveSnapshot = await liveTree(path.join(rx.dataDir, 'skills'));
  });

  it('refuses a replay of an older envelope (409) and no-ops the current one (200)', async () => {
    // `next` was signed before `current`, so its serial is older.
    const current = await buildRelease({ keep: { version: '1.7.0' } }, key.signing);
    expect((await postBundle(rx.url, current)).status).toBe(201);
    live = current;
    liveSnapshot = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(next.payload.serial).toBeLessThan(live.payload.serial);
    const old = await postBundle(rx.url, next);
    expect(old.status).toBe(409);
    const same = await postBundle(rx.url, live);
    expect(same.status).toBe(200);
    expect(same.json.status).toBe('already_live');
  });

  it('refuses a Content-Length that differs from the signed size before reading the body', async () => {
    const rel = await buildRelease({ keep: { version: '3.0.0' } }, key.signing);
    const res = await postBundle(rx.url, { ...rel, bundle: Buffer.concat([rel.bundle, Buffer.alloc(10)]) });
    expect(res.status).toBe(400);
    expect((res.json.error as { code: string }).code).toBe('size-mismatch');
  });

  it('refuses a declared size over MAX_BUNDLE_BYTES with 413', async () => {
    const rel = await buildRelease({ keep: { version: '3.1.0' } }, key.signing);
    const big = signBundle(rel.bundle, [key.signing], {
      payloadOverride: { bundle: { sha256: 'a'.repeat(64), size: 60 * 1024 * 1024 } },
    });
    const res = await postBundle(rx.url, big);
    expect(res.status).toBe(413);
  });

  it('refuses a non-gzip content type with 415', async () => {
    const res = await postBundle(rx.url, next, { 'content-type': 'application/json' });
    expect(res.status).toBe(415);
  });
});

describe('hostile bundles signed with a valid key', () => {
  let hostile: HostileBundle[];
  let before: string[];
  beforeAll(async () => {
    hostile = await allHostileBundles();
    before = await durable();
  }, 300_000);

  it('refuses every case with its code and writes nothing outside staging', async () => {
    const results: string[] = [];
    for (const h of hostile) {
      const rel = signBundle(h.bundle, [key.signing]);
      const res = await postBundle(rx.url, rel);
      results.push(`${h.name}: ${res.status} ${(res.json.error as { code?: string } | undefined)?.code}`);
    }
    expect(results).toEqual(hostile.map((h) => `${h.name}: 422 ${h.code}`));
    expect(await durable()).toEqual(before);
    expect(await liveTree(path.join(rx.dataDir, 'skills'))).toEqual(liveSnapshot);
    expect(await readdir(path.join(rx.dataDir, 'skill-sync/staging'))).toEqual([]);
    expect(await readdir(path.join(rx.dataDir, 'skill-sync/tmp'))).toEqual([]);
    // The escapes aim at these: none may exist.
    for (const p of [
      '/tmp/skill-sync-hostile-abs.txt',
      '/tmp/skill-sync-hostile-link.txt',
      path.join(rx.dataDir, 'skill-sync/evil.txt'),
      path.join(rx.dataDir, 'evil.txt'),
    ])
      expect(existsSync(p), p).toBe(false);
  }, 300_000);
});

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** Signs `rel`'s payload with a custom primitive, to build envelopes the product would never make. */
function signWith(rel: SignedRelease, primitive: (message: Buffer) => Buffer, payloadType = PAYLOAD_TYPE) {
  const payload = Buffer.from(JSON.stringify(rel.payload));
  const sig = primitive(pae(payloadType, payload)).toString('base64');
  const env: Envelope = {
    payload: payload.toString('base64'),
    payloadType,
    signatures: [{ keyid: 'x', sig }],
  };
  return { bundle: rel.bundle, header: encodeEnvelopeHeader(env) };
}
