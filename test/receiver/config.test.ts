// Start-up configuration: a wrong value stops the process with one line naming the variable; SIGTERM is clean.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, startReceiver, tempDir } from '../support/receiver.js';
import { ed25519Key } from '../support/release.js';

const key = ed25519Key();

function runWith(env: Record<string, string>, args: string[] = []) {
  const res = spawnSync(process.execPath, [CLI, 'receiver', ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: res.status, stderr: res.stderr.trim(), stdout: res.stdout };
}

describe('receiver configuration', () => {
  it.each([
    ['DEPLOY_STRATEGY', 'copy', 'must be one of in-place, symlink'],
    ['KEEP_RELEASES', 'ten', 'expected a whole number'],
    ['HEALTHCHECK_URL', 'not a url', 'is not a valid URL'],
    ['DATA_DIR', 'relative/path', 'must be an absolute path'],
    ['MANUAL_SYNC_API_KEY', 'short', 'at least 16 characters'],
    ['NEO4J_URI', 'http://db:7474', 'must start with neo4j://'],
    ['PORT', '70000', 'between 0 and 65535'],
  ])('%s=%s stops the receiver with one line naming it', async (name, value, why) => {
    const dataDir = await tempDir();
    const r = runWith({ DATA_DIR: dataDir, SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, [name]: value });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(name);
    expect(r.stderr).toContain(why);
  });

  it('refuses to start without any signing key, and never echoes secret values', async () => {
    const r = runWith({
      DATA_DIR: await tempDir(),
      NEO4J_URI: 'neo4j://127.0.0.1:1',
      NEO4J_USER: 'neo4j',
      NEO4J_PASSWORD: 'hunter2-secret-pw',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SKILL_SYNC_PUBLIC_KEYS');
    expect(r.stderr + r.stdout).not.toContain('hunter2-secret-pw');
  });

  it('starts without keys only in --insecure-dev mode, on loopback, refusing every deploy', async () => {
    const rx = await startReceiver({
      env: { MANUAL_SYNC_API_KEY: undefined, HOST: undefined },
      args: ['--insecure-dev'],
    });
    try {
      expect(rx.output()).toContain('insecure dev mode');
      const res = await fetch(`${rx.url}/v1/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/gzip', 'skill-sync-envelope': 'e30' },
        body: 'x',
      });
      expect(res.status).toBe(401);
    } finally {
      await rx.stop();
    }
  });

  it('exits 0 on SIGTERM after closing cleanly', async () => {
    const rx = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys } });
    expect(await rx.stop()).toBe(0);
    expect(rx.output()).toContain('"msg":"stopped"');
  });
});
