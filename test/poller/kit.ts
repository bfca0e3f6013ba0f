// Test kit for the poller: signed releases published to the fake GitHub, and a small receiver-side PollTarget.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE_ASSET, ENVELOPE_ASSET, publishRelease } from '../../core/release/index.js';
import {
  ed25519KeyId,
  signEnvelope,
  verifyEnvelope,
  type SigningKey,
  type VerifyKey,
} from '../../core/envelope/index.js';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import { admitRelease, type Admission, type ReleaseFacts } from '../../receiver/admission.js';
import type { HighestSerial } from '../../receiver/engine/index.js';
import type { DeployOutcome } from '../../receiver/outcome.js';
import type { PollTarget } from '../../receiver/poller/index.js';
import { Refusal } from '../../receiver/refusal.js';
import type { FakeGitHub } from '../github-api/server.js';
import type { SignedRelease } from '../support/release.js';

export const TOKEN = 'ghp_testtokenvalue000000000000000000000';

/** The receiver's trusted key and an attacker's key, both Ed25519 (the recommended kind, docs/contracts.md). */
function keyPair(): { sign: SigningKey; verify: VerifyKey } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const keyid = ed25519KeyId(publicKey);
  return {
    sign: { kind: 'ed25519', keyid, key: privateKey },
    verify: { kind: 'ed25519', keyid, key: publicKey },
  };
}
const trusted = keyPair();
const attacker = keyPair();

export function sign(payload: ReleasePayload, who: 'trusted' | 'attacker' = 'trusted'): Envelope {
  return signEnvelope(payload, [(who === 'trusted' ? trusted : attacker).sign]);
}

export function verify(envelope: unknown): ReleasePayload {
  return verifyEnvelope(envelope, [trusted.verify]);
}

export function payloadFor(
  bundle: Buffer,
  serial: number,
  over: Partial<ReleasePayload> = {},
): ReleasePayload {
  return {
    v: 1,
    repository: 'acme/skills',
    ref: 'refs/heads/main',
    commit: 'c0ffee' + String(serial).padStart(34, '0'),
    serial,
    createdAt: new Date(serial).toISOString(),
    trigger: 'push',
    bundle: { sha256: createHash('sha256').update(bundle).digest('hex'), size: bundle.length },
    skills: 1,
    ...over,
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Publishes through the real client (core/release) into the fake, like the Action does. */
export async function publish(
  gh: FakeGitHub,
  bundle: Buffer,
  serial: number,
  opts: { payload?: Partial<ReleasePayload>; keep?: number } = {},
): Promise<{ id: number; envelope: Envelope; payload: ReleasePayload }> {
  const dir = await tempDir('skill-sync-pub-');
  const file = path.join(dir, 'skills.tar.gz');
  await writeFile(file, bundle);
  const payload = payloadFor(bundle, serial, opts.payload);
  const envelope = sign(payload);
  const r = await publishRelease(
    { apiUrl: gh.apiUrl, owner: gh.state.owner, repo: gh.state.repo, token: TOKEN },
    {
      tag: `skill-sync-${serial}`,
      name: `skills ${serial}`,
      body: '',
      commit: payload.commit,
      bundleFile: file,
      envelopeJson: JSON.stringify(envelope),
      keep: opts.keep ?? 10,
    },
  );
  return { id: r.id, envelope, payload };
}

/**
 * A receiver in miniature: one queue, real verification, a streamed size+digest check, and "apply" as a file
 * written on disk. It refuses exactly what receiver/deployer.ts refuses on this path.
 */
export class TestTarget implements PollTarget {
  deployments: { serial: number; digest: string; trigger: string }[] = [];
  skipped: { serial: number; reason: string }[] = [];
  private top: HighestSerial | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly liveDir: string,
    private readonly maxBundleBytes = 1024 * 1024,
  ) {}

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  verify(envelope: unknown): ReleasePayload {
    return verify(envelope);
  }

  highestSerial() {
    return this.top;
  }

  /** The receiver's own admission rule, with a policy that allows any repository and ref. */
  admit(p: ReleasePayload, bundle?: ReleaseFacts['bundle']): Admission {
    const rules = { allowedRefs: ['*'], maxClockSkewMs: 5 * 60_000, maxBundleBytes: this.maxBundleBytes };
    return admitRelease(p, rules, { highest: this.top, ...(bundle && { bundle }) });
  }

  /** Like receiver/deployer.ts: streamed and checked outside the queue, applied inside it. */
  async deployFetched(
    _e: Envelope,
    p: ReleasePayload,
    body: AsyncIterable<Uint8Array>,
    trigger: 'polling' | 'manual' | 'webhook',
  ): Promise<DeployOutcome> {
    try {
      if (this.admit(p) === 'applied') return { status: 'already_live', serial: p.serial };
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const c of body) {
          size += c.byteLength;
          if (size > p.bundle.size) return { status: 'rejected', code: 'size-mismatch' };
          hash.update(c);
          chunks.push(Buffer.from(c));
        }
      } catch (err) {
        return { status: 'failed', code: 'internal', message: (err as Error).message };
      }
      const received = { size, sha256: hash.digest('hex') };
      return await this.exclusive(() => this.apply(p, Buffer.concat(chunks), trigger, received));
    } catch (err) {
      if (err instanceof Refusal) return { status: 'rejected', code: err.code, message: err.message };
      throw err;
    }
  }

  private async apply(
    p: ReleasePayload,
    bundle: Buffer,
    trigger: string,
    received = { size: bundle.length, sha256: createHash('sha256').update(bundle).digest('hex') },
  ): Promise<DeployOutcome> {
    if (this.admit(p, received) === 'applied') return { status: 'already_live', serial: p.serial };
    await mkdir(this.liveDir, { recursive: true });
    await writeFile(path.join(this.liveDir, `${p.serial}.tar.gz`), bundle);
    this.top = { serial: p.serial, digest: p.bundle.sha256, outcome: 'success' };
    this.deployments.push({ serial: p.serial, digest: p.bundle.sha256, trigger });
    return { status: 'deployed', serial: p.serial, digest: p.bundle.sha256, deploymentId: `d-${p.serial}` };
  }

  /** The webhook's path through the same queue. */
  push(envelope: Envelope, bundle: Buffer): Promise<DeployOutcome> {
    return this.exclusive(async () => this.apply(this.verify(envelope), bundle, 'webhook')).catch(
      (err: unknown) => {
        if (err instanceof Refusal) return { status: 'rejected', code: err.code, message: err.message };
        throw err;
      },
    );
  }

  async recordSkipped(p: ReleasePayload, reason: string): Promise<void> {
    this.skipped.push({ serial: p.serial, reason });
  }
}

export function captureLog() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Waits for something the test can observe; the step is only how often it looks. */
export async function until(
  cond: () => boolean,
  what = 'the condition',
  timeoutMs = 15_000,
  stepMs = 10,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Puts a release built by test/support/release.ts on the fake GitHub as is, the way a real receiver polls it. */
export function addSignedRelease(
  gh: FakeGitHub,
  rel: SignedRelease,
  opts: { tag?: string; makeLatest?: boolean } = {},
): void {
  gh.addRelease({
    tag: opts.tag ?? `skill-sync-${rel.payload.serial}`,
    makeLatest: opts.makeLatest ?? false,
    assets: [
      { name: BUNDLE_ASSET, data: rel.bundle, contentType: 'application/gzip' },
      { name: ENVELOPE_ASSET, data: JSON.stringify(rel.envelope), contentType: 'application/json' },
    ],
  });
}

/** The token a polling receiver is given; tests check that it never shows. */
export const RECEIVER_GITHUB_TOKEN = 'ghs_test_token_not_secret';

/** The environment of a receiver that polls `gh` and trusts `publicKeys`. */
export function pollingReceiverEnv(
  gh: FakeGitHub,
  publicKeys: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SKILL_SYNC_PUBLIC_KEYS: publicKeys,
    GITHUB_OWNER: gh.state.owner,
    GITHUB_REPO: gh.state.repo,
    GITHUB_TOKEN: RECEIVER_GITHUB_TOKEN,
    GITHUB_API_URL: gh.apiUrl,
    ...extra,
  };
}
