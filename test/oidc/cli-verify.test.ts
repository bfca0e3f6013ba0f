// `skill-sync verify --keyless`: the built CLI checks a keylessly signed release against SKILL_SYNC_OIDC_*.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextSerial } from '../../core/envelope/index.js';
import { signEnvelopeWithIdToken } from '../../core/envelope/oidc.js';
import type { ReleasePayload } from '../../core/payload.js';
import { cli } from '../cli/run.js';
import { tempDir } from '../support/receiver.js';
import { buildRelease, ed25519Key } from '../support/release.js';
import { startIssuer, type IssueOptions, type TestIssuer } from './issuer.js';

let issuer: TestIssuer;
const packKey = ed25519Key(); // only packs the bundle; verify never trusts it

beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());

/** A keyless release written to files, as the Action attaches it to a GitHub release. */
async function keylessFiles(
  o: { claims?: Record<string, unknown>; sign?: IssueOptions; payload?: Partial<ReleasePayload> } = {},
): Promise<string[]> {
  const rel = await buildRelease({ ok: { version: '1.0.0' } }, packKey.signing);
  const payload: ReleasePayload = { ...rel.payload, serial: nextSerial(), ...o.payload };
  const envelope = await signEnvelopeWithIdToken(payload, (aud) => issuer.sign(aud, o.claims, o.sign));
  const dir = await tempDir('skill-sync-verify-keyless-');
  const bundle = path.join(dir, 'skills.tar.gz');
  const env = path.join(dir, 'skills.dsse.json');
  await writeFile(bundle, rel.bundle);
  await writeFile(env, JSON.stringify(envelope));
  return ['verify', '--bundle', bundle, '--envelope', env];
}

const policy = () => ({ SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills', SKILL_SYNC_OIDC_ISSUER: issuer.issuer });

describe('skill-sync verify --keyless', () => {
  it('verifies a keyless release, even once its token has expired (as the poller does)', async () => {
    const args = await keylessFiles({ sign: { expiresIn: -600 } });
    const run = await cli([...args, '--keyless', '--unpack-check', '--json'], { env: policy() });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; payload: ReleasePayload; unpackChecked: boolean };
    expect(out).toMatchObject({ ok: true, unpackChecked: true, payload: { repository: 'acme/skills' } });
  });

  it("refuses a token from another repository with the receiver's code", async () => {
    const args = await keylessFiles({
      claims: { repository: 'evil/skills' },
      payload: { repository: 'evil/skills' },
    });
    const run = await cli([...args, '--keyless'], { env: policy() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused \(oidc-repository\)/);
  });

  it('without --keyless, a keyless envelope does not verify with a key', async () => {
    const args = await keylessFiles();
    const run = await cli([...args, '--public-key', packKey.publicKeys], { env: policy() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused \(bad-signature\)/);
  });

  it('--keyless without SKILL_SYNC_OIDC_REPOSITORY is a usage error', async () => {
    const args = await keylessFiles();
    const run = await cli([...args, '--keyless'], { env: { SKILL_SYNC_OIDC_REPOSITORY: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/SKILL_SYNC_OIDC_REPOSITORY/);
  });
});
