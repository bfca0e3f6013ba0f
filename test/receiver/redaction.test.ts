// URLs that hold secrets never leave the real receiver (docs/security.md): the health-check URL's path, an alert
// webhook's path, credentials in GITHUB_API_URL, and a GitHub answer that echoes the token.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recorder, until } from '../engine/helpers.js';
import { startFakeGitHub } from '../github-api/server.js';
import { API_KEY, startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle } from '../support/release.js';

const key = ed25519Key();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(env: Record<string, string>): Promise<ReceiverProcess> {
  const rx = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, ...env } });
  cleanups.push(() => rx.kill());
  return rx;
}

const sync = async (rx: ReceiverProcess) => {
  const res = await fetch(`${rx.url}/api/sync`, { method: 'POST', headers: { 'x-api-key': API_KEY } });
  return res.text();
};

describe('one URL redactor in the receiver', () => {
  it('the health-check and alert webhook paths stay out of the reply, the audit trail, /health and the logs', async () => {
    const health = await recorder(500);
    const alert = await recorder(404);
    cleanups.push(
      () => health.close(),
      () => alert.close(),
    );
    const healthSecret = 'hc-token-Q7ZK2m9xV4';
    const webhookSecret = 'T0ABCDEF1/B0GHIJKL2/xoxbWebhookSecretPath9';
    const rx = await start({
      HEALTHCHECK_URL: `${health.url}/health/${healthSecret}?key=${healthSecret}`,
      HEALTHCHECK_RETRIES: '0',
      HEALTHCHECK_INTERVAL_MS: '1',
      ALERT_WEBHOOK_URL: `${alert.url}/services/${webhookSecret}`,
    });
    const res = await postBundle(
      rx.url,
      await buildRelease({ unhealthy: { version: '1.0.0' } }, key.signing),
    );
    expect(res.json.status).toBe('failed');
    await until(() => alert.calls.length === 1, 'the alert');
    await until(() => rx.output().includes('alert webhook refused'), 'the alert failure to be logged');
    const reply = JSON.stringify(res.json);
    const audit = await readFile(path.join(rx.dataDir, 'skill-sync/audit.jsonl'), 'utf8');
    const healthJson = await (await fetch(`${rx.url}/health`)).text();
    for (const [where, text] of Object.entries({ reply, audit, health: healthJson, logs: rx.output() })) {
      expect(text, where).not.toContain(healthSecret);
      expect(text, where).not.toContain('xoxbWebhookSecretPath9');
      expect(text, where).not.toContain('/services/');
    }
    // What is left still says where: scheme, host and port.
    expect(reply).toContain(`health check ${health.url} answered 500`);
    expect(rx.output()).toContain(alert.url);
  });

  it('credentials in GITHUB_API_URL are not echoed by /api/sync or the logs', async () => {
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    cleanups.push(() => gh.close());
    const u = new URL(gh.apiUrl);
    const rx = await start({
      GITHUB_OWNER: 'acme',
      GITHUB_REPO: 'skills',
      GITHUB_API_URL: `http://proxyuser:proxy-pass-S3cr3t@${u.host}/`,
      POLLING_INTERVAL_MIN: '60',
    });
    const body = await sync(rx);
    expect(body).toContain('"result":"error"');
    expect(body).not.toContain('proxy-pass-S3cr3t');
    expect(body).not.toContain('proxyuser');
    expect(rx.output()).not.toContain('proxy-pass-S3cr3t');
  });

  it('a GitHub error body that echoes the token is not passed through', async () => {
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    cleanups.push(() => gh.close());
    const token = 'ghp_EchoedTokenValue0000000000000000000a';
    const rx = await start({
      GITHUB_OWNER: 'acme',
      GITHUB_REPO: 'skills',
      GITHUB_TOKEN: token,
      GITHUB_API_URL: gh.apiUrl,
      POLLING_INTERVAL_MIN: '60',
    });
    await until(() => gh.requests.length >= 1, 'the first poll');
    gh.failNext(401, 1, {}, 'api', { message: `Bad credentials: ${token} (see ${gh.apiUrl}/docs/${token})` });
    const body = await sync(rx);
    expect(body).toContain('github-http-401');
    expect(body).toContain('Bad credentials');
    expect(body).not.toContain(token);
    expect(rx.output()).not.toContain(token);
  });
});
