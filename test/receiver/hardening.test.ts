// Issue 16's attacks on the running receiver (items 1, 3, 6, 8, 9, 10, 12), each against a real process.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ASSET, ENVELOPE_ASSET } from '../../core/release/index.js';
import { encodeEnvelopeHeader, signEnvelope } from '../../core/envelope/index.js';
import { until } from '../engine/helpers.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { manifestFor, rawTar, type TarItem } from '../support/hostile.js';
import { API_KEY, CLI, startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, signBundle, type SignedRelease } from '../support/release.js';

const key = ed25519Key();
const DAY = 24 * 3600_000;
const started: ReceiverProcess[] = [];

async function receiver(env: Record<string, string | undefined> = {}, dataDir?: string) {
  const rx = await startReceiver({ dataDir, env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, ...env } });
  started.push(rx);
  return rx;
}
afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()));
});

const api = (rx: ReceiverProcess, p: string, init: RequestInit = {}, apiKey = API_KEY) =>
  fetch(`${rx.url}${p}`, { method: 'POST', ...init, headers: { 'x-api-key': apiKey, ...init.headers } });

const auditLines = async (rx: ReceiverProcess) =>
  (await readFile(path.join(rx.dataDir, 'skill-sync/audit.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status: string; reason?: string; serial?: number; trigger: string });

const health = async (rx: ReceiverProcess) =>
  (await (await fetch(`${rx.url}/health`)).json()) as {
    warnings?: string[];
    lastDeployment: { status: string; serial?: number } | null;
    recentDeployments: unknown[];
    live: { serial: number } | null;
    services: { poller: { lastCheckAt?: string } };
  };

const code = (res: { json: Record<string, unknown> }) =>
  (res.json.error as { code?: string } | undefined)?.code;

describe('1. a serial from the future', () => {
  it('is refused with its own code, and later deploys still go through', async () => {
    const rx = await receiver();
    const future = await buildRelease({ t: { version: '1.0.0' } }, key.signing, {
      serial: Date.now() + 365 * DAY,
    });
    const res = await postBundle(rx.url, future);
    expect(res.status).toBe(409);
    expect(code(res)).toBe('future-serial');
    const normal = await buildRelease({ t: { version: '1.0.1' } }, key.signing);
    expect((await postBundle(rx.url, normal)).status).toBe(201);
  });

  it('an already poisoned highest serial is reset by the authenticated recovery endpoint', async () => {
    const dataDir = await tempDir('skill-sync-poison-');
    // A receiver that allowed a huge skew took a release signed a year ahead: the state the attack leaves.
    const lax = await receiver({ SKILL_SYNC_MAX_CLOCK_SKEW: String(2 * 365 * 24 * 60) }, dataDir);
    const poison = await buildRelease({ p: { version: '6.6.6' } }, key.signing, {
      serial: Date.now() + 365 * DAY,
    });
    expect((await postBundle(lax.url, poison)).status).toBe(201);
    await lax.stop();

    const rx = await receiver({}, dataDir);
    const before = await buildRelease({ p: { version: '1.0.0' } }, key.signing);
    expect(code(await postBundle(rx.url, before))).toBe('replay');

    expect((await api(rx, '/api/serial/reset', {}, 'wrong-key-0123456789')).status).toBe(401);
    const reset = await api(rx, '/api/serial/reset');
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ status: 'reset', previousSerial: poison.payload.serial });
    // Done once: a highest serial that is not ahead of the clock is never lowered.
    const again = await api(rx, '/api/serial/reset');
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('serial-not-ahead');

    // Signed before the reset: still a replay. Signed after it: deploys. The poison stays refused.
    expect(code(await postBundle(rx.url, before))).toBe('replay');
    const after = await buildRelease({ p: { version: '1.0.1' } }, key.signing);
    expect((await postBundle(rx.url, after)).status).toBe(201);
    expect(code(await postBundle(rx.url, poison))).toBe('future-serial');
    expect((await auditLines(rx)).some((r) => r.reason === 'serial-reset')).toBe(true);
  });
});

describe('3. unauthenticated junk', () => {
  let rx: ReceiverProcess;
  let good: SignedRelease;
  beforeAll(async () => {
    rx = await receiver({ RATE_LIMIT_DEPLOYMENTS_PER_MIN: '20', RATE_LIMIT_AUTH_FAILURES_PER_MIN: '3' });
    good = await buildRelease({ j: { version: '1.0.0' } }, key.signing);
    expect((await postBundle(rx.url, good)).status).toBe(201);
  });

  it('is counted and sampled, never written to the audit trail or /health', async () => {
    for (let i = 0; i < 19; i++) {
      const res = await postBundle(rx.url, { bundle: Buffer.from('junk'), header: 'e30' });
      expect(res.status).toBe(401);
    }
    expect(await auditLines(rx)).toHaveLength(1);
    const h = await health(rx);
    expect(h.lastDeployment).toMatchObject({ status: 'success', serial: good.payload.serial });
    expect(h.recentDeployments).toHaveLength(1);
    const metrics = await (await fetch(`${rx.url}/metrics`)).text();
    expect(metrics).toMatch(/skill_sync_rejected_requests_total\{reason="malformed"\} 19/);
    const logged = rx
      .output()
      .split('\n')
      .filter((l) => l.includes('"code":"malformed"'));
    expect(logged).toHaveLength(1);
  });

  it('deployment attempts over the per-client limit get 429 with Retry-After', async () => {
    const res = await fetch(`${rx.url}/v1/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip', 'skill-sync-envelope': 'e30' },
      body: 'junk',
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate-limited');
  });

  it('wrong API keys over the per-client limit get 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${rx.url}/v1/state`, {
        headers: { 'x-api-key': `wrong-key-${i}-0123456789` },
      });
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

describe('6. two receivers on one DATA_DIR', () => {
  it('the second re-reads the state under the lock: no replay of what the first superseded', async () => {
    const dataDir = await tempDir('skill-sync-shared-');
    const a = await receiver({}, dataDir);
    const b = await receiver({}, dataDir);
    const r1 = await buildRelease({ s: { version: '1.0.0' } }, key.signing);
    const r2 = await buildRelease({ s: { version: '2.0.0' } }, key.signing);
    expect((await postBundle(a.url, r1)).status).toBe(201);
    expect((await postBundle(a.url, r2)).status).toBe(201);
    const replay = await postBundle(b.url, r1);
    expect(replay.status).toBe(409);
    expect(code(replay)).toBe('replay');
    // B's own deploy keeps A's releases in the list instead of overwriting it with its stale copy.
    const r3 = await buildRelease({ s: { version: '3.0.0' } }, key.signing);
    expect((await postBundle(b.url, r3)).status).toBe(201);
    const state = JSON.parse(await readFile(path.join(dataDir, 'skill-sync/state.json'), 'utf8')) as {
      releases: { serial: number }[];
    };
    expect(state.releases.map((r) => r.serial)).toEqual([r3, r2, r1].map((r) => r.payload.serial));
  });

  it("never takes over another host's lock while its TTL is valid, even if that pid is not alive here", async () => {
    const rx = await receiver();
    const lock = path.join(rx.dataDir, 'skill-sync/lock');
    const foreign = {
      pid: 2 ** 22 + 7, // above any pid_max: surely not alive in this namespace
      host: 'another-container',
      bootId: 'another-boot',
      createdAt: new Date().toISOString(),
      token: 'foreign',
    };
    await writeFile(lock, JSON.stringify(foreign));
    const rel = await buildRelease({ l: { version: '1.0.0' } }, key.signing);
    const pending = postBundle(rx.url, rel);
    await until(
      () => rx.output().includes('waiting for the deploy lock'),
      'the receiver to wait for the lock',
    );
    expect(JSON.parse(await readFile(lock, 'utf8'))).toEqual(foreign);
    await rm(lock); // the other host releases it

    expect((await pending).status).toBe(201);
  });
});

describe('8. releases tied to a repository and a ref', () => {
  it('push: another repository or ref is refused before the body is read', async () => {
    const rx = await receiver({ SKILL_SYNC_ALLOWED_REPOSITORIES: 'acme/skills' });
    const rel = await buildRelease({ r: { version: '1.0.0' } }, key.signing);
    const mallory = signBundle(rel.bundle, [key.signing], {
      payloadOverride: { repository: 'mallory/unrelated-repo' },
    });
    const evil = signBundle(rel.bundle, [key.signing], { payloadOverride: { ref: 'refs/heads/evil' } });
    const r1 = await postBundle(rx.url, mallory);
    expect([r1.status, code(r1)]).toEqual([403, 'repository-not-allowed']);
    const r2 = await postBundle(rx.url, evil);
    expect([r2.status, code(r2)]).toEqual([403, 'ref-not-allowed']);
    expect((await health(rx)).live).toBeNull();
    expect((await health(rx)).warnings).toBeUndefined();
    expect((await postBundle(rx.url, signBundle(rel.bundle, [key.signing]))).status).toBe(201);
  });

  it('/health warns when no repository allowlist is set', async () => {
    const rx = await receiver();
    expect((await health(rx)).warnings?.join(' ')).toContain('SKILL_SYNC_ALLOWED_REPOSITORIES');
  });
});

describe('poller: 8. repository allowlist and 12. huge Content-Length', () => {
  let gh: FakeGitHub;
  let rx: ReceiverProcess;
  beforeAll(async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'skills' });
    rx = await receiver({
      GITHUB_OWNER: 'acme',
      GITHUB_REPO: 'skills',
      GITHUB_TOKEN: 'ghs_test_token_not_secret',
      GITHUB_API_URL: gh.apiUrl,
      POLLING_INTERVAL_MIN: '60',
    });
    // The start-up poll finds nothing; everything after this is driven by /api/sync.
    for (;;) {
      if ((await health(rx)).services.poller.lastCheckAt) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => gh?.close());

  const publish = (rel: SignedRelease, tag: string) =>
    gh.addRelease({
      tag,
      makeLatest: true,
      assets: [
        { name: ENVELOPE_ASSET, data: JSON.stringify(rel.envelope), contentType: 'application/json' },
        { name: BUNDLE_ASSET, data: rel.bundle, contentType: 'application/gzip' },
      ],
    });
  /** Bytes fetched from the asset host (the API's 302 hop is not a download). */
  const fetched = () => gh.requests.filter((q) => q.host === 'assets').length;
  const sync = async () => (await (await api(rx, '/api/sync')).json()) as { result: string; code?: string };

  it('refuses a release of another repository, downloading no bundle', async () => {
    const rel = await buildRelease({ m: { version: '1.0.0' } }, key.signing);
    publish(
      signBundle(rel.bundle, [key.signing], { payloadOverride: { repository: 'mallory/x' } }),
      'skill-sync-1',
    );
    const before = fetched();
    expect(await sync()).toMatchObject({ result: 'refused', code: 'repository-not-allowed' });
    expect(fetched() - before).toBe(1); // the envelope only
    expect((await health(rx)).live).toBeNull();
  });

  it('refuses an asset whose Content-Length is over the signed size, and does not retry it', async () => {
    const rel = await buildRelease({ c: { version: '1.0.0' } }, key.signing);
    publish(rel, 'skill-sync-2');
    // The asset host answers the envelope normally, then declares a bundle of 100 GB.
    gh.failNext(
      200,
      1,
      { 'content-type': 'application/octet-stream' },
      'assets',
      Buffer.from(JSON.stringify(rel.envelope)),
    );
    gh.failNext(200, 1, { 'content-length': String(100 * 2 ** 30) }, 'assets', Buffer.alloc(16));
    expect(await sync()).toMatchObject({ result: 'refused', code: 'asset-too-large' });
    // Refused for good: the next check (a 304 for the same release) downloads nothing.
    const before = fetched();
    expect((await sync()).result).not.toBe('error');
    expect(fetched()).toBe(before);
  });
});

describe('9. --insecure-dev', () => {
  it('refuses to start on a non-loopback address', () => {
    const res = spawnSync(process.execPath, [CLI, 'receiver', '--insecure-dev'], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '0.0.0.0', DATA_DIR: '/tmp/skill-sync-insecure' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('HOST');
    expect(res.stderr).toContain('loopback');
  });
});

describe('10. manifest strings', () => {
  const SKILL_MD = '---\nname: a\ndescription: test skill\nversion: 1.0.0\n---\nHello\n';
  const bundle = (edit: (m: { skills: { version: string; source: string }[] }) => void) => {
    const spec = { name: 'a', files: { 'SKILL.md': SKILL_MD } };
    const items: TarItem[] = [
      { path: 'skill-sync.json', body: manifestFor([spec], edit) },
      { path: 'skills/' },
      { path: 'skills/a/' },
      { path: 'skills/a/SKILL.md', body: SKILL_MD },
    ];
    return gzipSync(rawTar(items));
  };
  let rx: ReceiverProcess;
  beforeAll(async () => {
    rx = await receiver();
  });

  it.each([
    [
      'an OSC 52 clipboard write in the version',
      (m: { skills: { version: string }[] }) => {
        m.skills[0]!.version = '1.0.0\u001b]52;c;ZWNobyBwd25lZA==\u0007';
      },
    ],
    [
      'an erase-line in the source',
      (m: { skills: { source: string }[] }) => {
        m.skills[0]!.source = 'a\u001b[2K\r';
      },
    ],
    [
      'a C1 CSI in the version',
      (m: { skills: { version: string }[] }) => {
        m.skills[0]!.version = '1.0.0\u009b2K';
      },
    ],
  ])('refuses %s', async (_name, edit) => {
    const res = await postBundle(rx.url, signBundle(bundle(edit), [key.signing]));
    expect([res.status, code(res)]).toEqual([422, 'manifest-invalid']);
  });

  it('refuses a version other than the one the frontmatter says', async () => {
    const res = await postBundle(
      rx.url,
      signBundle(
        bundle((m) => (m.skills[0]!.version = '9.9.9')),
        [key.signing],
      ),
    );
    expect([res.status, code(res)]).toEqual([422, 'manifest-mismatch']);
    const ok = await postBundle(
      rx.url,
      signBundle(
        bundle(() => {}),
        [key.signing],
      ),
    );
    expect(ok.status).toBe(201);
  });

  it('`skill-sync audit` escapes control characters from the trail', async () => {
    const dataDir = await tempDir('skill-sync-audit-esc-');
    await mkdir(path.join(dataDir, 'skill-sync'), { recursive: true });
    const rec = {
      seq: 1,
      timestamp: new Date().toISOString(),
      deploymentId: '0000000000001-abcd',
      trigger: 'webhook',
      status: 'success',
      durationMs: 1,
      skills: [{ name: 'a', version: '1\u001b]52;c;cHduZWQ=\u0007\u001b[2K', fingerprint: 'f'.repeat(64) }],
    };
    await writeFile(path.join(dataDir, 'skill-sync/audit.jsonl'), JSON.stringify(rec) + '\n');
    const res = spawnSync(process.execPath, [CLI, 'audit', '--data-dir', dataDir], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('a@1\\u{1b}]52;c;cHduZWQ=\\u{7}\\u{1b}[2K');
    expect(res.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('`skill-sync status` escapes control characters a receiver sends', async () => {
    const esc = '\u001b]52;c;cHduZWQ=\u0007\u001b[2K';
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body =
        req.url === '/health'
          ? { status: `ok${esc}`, skills: { count: 1, lastUpdated: null } }
          : {
              deploymentId: 'd',
              serial: 1,
              digest: 'f'.repeat(64),
              skills: [{ name: `a${esc}`, version: `1${esc}`, fingerprint: 'f'.repeat(64) }],
            };
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as net.AddressInfo;
      // Asynchronously: the stub answers from this process's event loop.
      const res = await promisify(execFile)(
        process.execPath,
        [CLI, 'status', '--url', `http://127.0.0.1:${port}`],
        { env: { PATH: process.env.PATH ?? '', MANUAL_SYNC_API_KEY: API_KEY }, encoding: 'utf8' },
      );
      expect(res.stdout).toContain('receiver: ok\\u{1b}]52;c;cHduZWQ=\\u{7}\\u{1b}[2K');
      expect(res.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    } finally {
      server.close();
    }
  });
});

describe('12. bodies and headers', () => {
  let rx: ReceiverProcess;
  beforeAll(async () => {
    rx = await receiver({ MAX_ENVELOPE_BYTES: String(64 * 1024) });
  });

  it('/api/rollback refuses a large JSON body with 413 without parsing it', async () => {
    const res = await api(rx, '/api/rollback', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentId: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('a body sent to a route that refuses it is not read: the answer comes and the connection closes', async () => {
    const sock = net.connect(rx.port, '127.0.0.1');
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.write(
      'POST /api/rollback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 10000\r\n\r\n{"deploymentId":',
    );
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 401/);
    expect(text.toLowerCase()).toContain('connection: close');
  }, 15_000);

  it('MAX_ENVELOPE_BYTES above 16 KiB works: a 40 KB envelope header is read, not refused with 431', async () => {
    const rel = await buildRelease({ e: { version: '1.0.0' } }, key.signing);
    const env = signEnvelope(rel.payload, [key.signing]);
    env.signatures[0]!.keyid = 'k'.repeat(30_000);
    const header = encodeEnvelopeHeader(env);
    expect(header.length).toBeGreaterThan(40_000);
    const res = await postBundle(rx.url, { bundle: rel.bundle, header });
    expect(res.status).toBe(201);
  });
});
