// docker/start-with-gateway.sh with stub commands (no Docker engine here): the gateway starts without the
// receiver's variables, and as root the receiver drops to its own user (docs/security.md).
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/receiver.js';

const SCRIPT = path.join(REPO, 'docker/start-with-gateway.sh');

const secrets = {
  SKILL_SYNC_HMAC_SECRETS: 'hmac:k1:' + 'a1b2c3d4'.repeat(8),
  SKILL_SYNC_PUBLIC_KEYS: 'ed25519:not-a-real-key',
  MANUAL_SYNC_API_KEY: 'manual-sync-key-0123456789abcdef',
  GITHUB_TOKEN: 'ghs_' + 'Z9y8X7w6'.repeat(4),
  NEO4J_PASSWORD: 'neo4j-password-for-the-test',
  ALERT_WEBHOOK_URL: 'https://hooks.example.invalid/services/T000/B000/secretpath',
  HEALTHCHECK_URL: 'http://127.0.0.1:18789/health/secret-token',
};

async function stub(dir: string, name: string, body: string): Promise<void> {
  await writeFile(path.join(dir, name), `#!/bin/sh\n${body}\n`);
  await chmod(path.join(dir, name), 0o755);
}

/** Runs the script with `bin` first on PATH; the gateway stub dumps its environment and exits. */
async function run(root: boolean): Promise<{ code: number | null; out: string; log: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'start-gw-'));
  const bin = path.join(dir, 'bin');
  const out = path.join(dir, 'out');
  await mkdir(bin);
  await mkdir(out);
  const log = path.join(out, 'calls.log');
  // The receiver stub dumps its environment, then waits to be stopped like the real one.
  await stub(bin, 'skill-sync', `env > '${out}/receiver.env'\ntrap 'exit 0' TERM\nwhile :; do sleep 1; done`);
  await stub(bin, 'gateway', `env > '${out}/gateway.env'`);
  if (root) {
    await stub(bin, 'id', `if [ "$1" = "-u" ]; then echo 0; fi; exit 0`);
    await stub(bin, 'gosu', `echo "gosu $1 $2" >> '${log}'; shift; exec "$@"`);
    await stub(bin, 'chown', `echo "chown $*" >> '${log}'`);
  }
  const env = {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    DATA_DIR: path.join(dir, 'data'),
    PORT: '18789',
    SKILL_SYNC_PORT: '8787',
    OPENCLAW_CONFIG: '/data/openclaw.json',
    ...secrets,
  };
  const child = spawn('/bin/sh', [SCRIPT, 'gateway', '--serve'], { env, stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { code, out, log: await readFile(log, 'utf8').catch(() => '') };
}

const parse = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('start-with-gateway.sh', () => {
  it('the gateway gets none of the receiver variables; the receiver gets them all, on its own port', async () => {
    const { code, out } = await run(false);
    expect(code).toBe(0);
    const gatewayText = await readFile(path.join(out, 'gateway.env'), 'utf8');
    const gateway = parse(gatewayText);
    const receiver = parse(await readFile(path.join(out, 'receiver.env'), 'utf8'));
    for (const [name, value] of Object.entries(secrets)) {
      expect(gateway[name], name).toBeUndefined();
      expect(gatewayText, name).not.toContain(value);
      expect(receiver[name], name).toBe(value);
    }
    expect(gateway).toMatchObject({ PORT: '18789', OPENCLAW_CONFIG: '/data/openclaw.json' });
    expect(receiver.PORT).toBe('8787');
    // The receiver starts with --expose-gc (its garbage budget); the gateway does not get it.
    expect(receiver.NODE_OPTIONS).toBe('--expose-gc');
    expect(gateway.NODE_OPTIONS).toBeUndefined();
  });

  it('as root, the receiver runs as the skill-sync user and owns its folders', async () => {
    const { code, log } = await run(true);
    expect(code).toBe(0);
    expect(log).toMatch(/^gosu skill-sync skill-sync$/m);
    expect(log).toMatch(/^chown -R skill-sync .*\/data\/skill-sync$/m);
    // The live folder's parent (by default the volume; on Railway the gateway's managed skills folder) is only
    // made writable to the receiver, never taken over recursively.
    expect(log).toMatch(/^chown skill-sync .*\/data$/m);
    expect(log).not.toMatch(/^chown -R skill-sync .*\/data$/m);
    // No gateway user configured: the gateway keeps the container's user.
    expect(log).not.toMatch(/^gosu \S+ gateway/m);
  });

  it('lists every variable the receiver reads, except the ones it shares with the gateway', async () => {
    const script = await readFile(SCRIPT, 'utf8');
    const config = await readFile(path.join(REPO, 'receiver/config.ts'), 'utf8');
    const read = [...config.matchAll(/\(env, '([A-Z0-9_]+)'|^ {4}'([A-Z0-9_]+)',$/gm)].map(
      (m) => (m[1] ?? m[2])!,
    );
    // The gateway's own token and URL: the receiver reads them to ask it what it loaded.
    const shared = new Set([
      'PORT',
      'HOST',
      'DATA_DIR',
      'SKILLS_DIR',
      'LOG_LEVEL',
      'OPENCLAW_GATEWAY_TOKEN',
      'OPENCLAW_GATEWAY_URL',
    ]);
    const missing = read.filter(
      (v) => !shared.has(v) && !v.startsWith('SKILL_SYNC_') && !new RegExp(`\\b${v}\\b`).test(script),
    );
    expect(read.length).toBeGreaterThan(10);
    expect(read).toContain('GATEWAY_CHECK');
    expect(missing).toEqual([]);
  });
});
