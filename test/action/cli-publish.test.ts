// `skill-sync publish`: the Action's deploy path from a shell, as a real process against a stub receiver.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO,
  accepted,
  decodeEnvelopeHeader,
  ed25519Key,
  ensureDist,
  sha256Hex,
  skillMd,
  startStubReceiver,
  tempDir,
  verifyEd25519,
  writeSkills,
  type StubReceiver,
} from './harness.js';

const run = promisify(execFile);
const key = ed25519Key();
let receiver: StubReceiver;
let dir: string;
let keyFile: string;

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [path.join(REPO, 'bin', 'skill-sync.js'), 'publish', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await ensureDist(); // also compiles lib/, which bin/skill-sync.js runs
  dir = await tempDir();
  await writeSkills(dir, [
    { dir: 'one', skillMd: skillMd('one', { version: '1.0.0' }) },
    { dir: 'two', skillMd: skillMd('two') },
  ]);
  keyFile = path.join(await tempDir(), 'signing.pem');
  await writeFile(keyFile, key.privatePem, { mode: 0o600 });
  receiver = await startStubReceiver(accepted);
});
afterAll(async () => receiver?.close());

describe('skill-sync publish', () => {
  it('packs, signs and POSTs with trigger cli, and reports as JSON', async () => {
    const r = await cli([dir, '--to', receiver.url, '--key', keyFile, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      outcome: string;
      serial: number;
      bundle: { sha256: string };
      deploymentId: string;
    };
    expect(out.outcome).toBe('ok');
    const req = receiver.requests.at(-1)!;
    const env = decodeEnvelopeHeader(String(req.headers['skill-sync-envelope']));
    expect(verifyEd25519(env, key.publicKey)).toBe(true);
    expect(env.payload.trigger).toBe('cli');
    expect(env.payload.serial).toBe(out.serial);
    expect(env.payload.bundle.sha256).toBe(sha256Hex(req.body));
    expect(out.bundle.sha256).toBe(sha256Hex(req.body));
    expect(out.deploymentId).toMatch(/^dep-/);
  });

  it('reads the key from an env variable and ships the same bytes for the same tree', async () => {
    const before = receiver.requests.length;
    const r = await cli([dir, '--to', receiver.url, '--key-env', 'SIGNING_KEY'], {
      SIGNING_KEY: key.privatePem,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^published: 2 skill\(s\)/);
    expect(receiver.requests).toHaveLength(before + 1);
    expect(sha256Hex(receiver.requests.at(-1)!.body)).toBe(sha256Hex(receiver.requests[0]!.body));
    expect(r.stdout + r.stderr).not.toContain(key.privatePem.split('\n')[1]);
  });

  it('is a usage error (exit 2) without a key or a destination', async () => {
    expect((await cli([dir, '--to', receiver.url])).code).toBe(2);
    expect((await cli([dir, '--key', keyFile])).code).toBe(2);
  });

  it('exits 1 when the receiver refuses', async () => {
    const refusing = await startStubReceiver(() => ({
      status: 401,
      body: { error: { code: 'bad_signature', message: 'no key verifies' } },
    }));
    try {
      const r = await cli([dir, '--to', refusing.url, '--key', keyFile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('refused the deployment: 401 bad_signature');
      expect(refusing.requests).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });
});
