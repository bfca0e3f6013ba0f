// Poller: converge on the newest signed GitHub release when no push arrived, through the webhook's deploy path.
import {
  AssetTooLarge,
  BUNDLE_ASSET,
  downloadAsset,
  ENVELOPE_ASSET,
  getLatestOurs,
  GitHubError,
  capRetryAt,
  MAX_RATE_LIMIT_WAIT_MS,
  RateLimited,
  type GitHubTarget,
  type ReleaseInfo,
} from '../core/release/index.js';
import type { Envelope, ReleasePayload } from '../core/payload.js';
import { loadState, saveState, type PollerState, type SeenRelease } from './poller/state.js';

export interface DeployOutcome {
  status: 'deployed' | 'already_live' | 'rolled_back' | 'failed' | 'rejected';
  code?: string;
  message?: string;
  deploymentId?: string;
  serial?: number;
  digest?: string;
}

/** What the poller needs from the receiver: the one verify/apply path (receiver/deployer.ts). */
export interface PollTarget {
  /** Throws on a bad envelope (signature, payloadType, shape); `poll` forgives an OIDC token's expiry only. */
  verify(envelope: unknown, path: 'poll'): ReleasePayload | Promise<ReleasePayload>;
  /** Highest serial applied, with its bundle digest. */
  highestSerial(): { serial: number; digest: string } | null;
  /**
   * Streams the body and checks its size and digest outside the deployment queue, then takes the queue only
   * to apply: a slow or stalled download never holds up a push (docs/security.md).
   */
  deployFetched(
    envelope: Envelope,
    payload: ReleasePayload,
    body: AsyncIterable<Uint8Array>,
    trigger: 'polling' | 'manual',
  ): Promise<DeployOutcome>;
  /** An older release marked latest, or a replayed serial: not applied, but on the record. */
  recordSkipped?(payload: ReleasePayload, reason: string): Promise<void>;
}

export type PollResultKind =
  'not_modified' | 'up_to_date' | 'new_release' | 'older_ignored' | 'refused' | 'error' | 'rate_limited';

export interface PollResult {
  result: PollResultKind;
  outcome?: DeployOutcome;
  /** Release tag. */
  release?: string;
  serial?: number;
  /** Stable code for refused / error results (e.g. `digest-mismatch`, `asset_too_large`, `github_http_500`). */
  code?: string;
  message?: string;
  /** Epoch ms, for rate_limited. */
  retryAt?: number;
}

/** The subset of a pino logger the poller uses. */
export interface PollerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PollerOptions {
  github: GitHubTarget;
  intervalMs: number;
  /** Extra random delay as a fraction of the wait (0.1 = up to +10%); never shortens it. Default 0.1. */
  jitter?: number;
  /** <data>/skill-sync/poller.json */
  statePath: string;
  maxEnvelopeBytes?: number;
  maxBundleBytes: number;
  target: PollTarget;
  log?: PollerLog;
  onResult?(r: PollResult): void;
  /**
   * Total deadline of each download (the release JSON, the envelope, the bundle), which a trickle of bytes
   * cannot reset, unlike the idle timeout; default 5 minutes.
   */
  downloadDeadlineMs?: number;
  /** Cap on the release JSON; default core/release's MAX_RELEASE_JSON_BYTES. */
  maxReleaseJsonBytes?: number;
  /** Backoff cap as a multiple of the interval; default 8. */
  maxBackoffFactor?: number;
  now?: () => number;
  random?: () => number;
}

export interface PollerStatus {
  enabled: true;
  state: 'idle' | 'polling' | 'backoff' | 'rate_limited';
  lastCheckAt?: string;
  lastResult?: PollResultKind;
  lastEtagResult?: 'not_modified' | 'modified';
  lastRelease?: { tag: string; serial?: number };
  nextCheckAt?: string;
  rateLimitRemaining?: number;
  rateLimitedUntil?: string;
  consecutiveErrors: number;
  latestReleaseSerial?: number;
}

const DEFAULT_MAX_ENVELOPE = 64 * 1024;
const DEFAULT_DOWNLOAD_DEADLINE_MS = 5 * 60_000;
const silent: PollerLog = { info() {}, warn() {}, error() {} };

/** A refusal that is final for this release: remembered, so the same release is not fetched again. */
class Refused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Poller {
  private readonly o: Required<
    Pick<PollerOptions, 'jitter' | 'maxEnvelopeBytes' | 'maxBackoffFactor' | 'downloadDeadlineMs'>
  > &
    PollerOptions;
  private readonly log: PollerLog;
  private readonly now: () => number;
  private readonly random: () => number;
  private state: PollerState = { v: 1, consecutiveErrors: 0 };
  private ready: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private polling = false;
  /** Polls run one at a time (they share the state); deployments are not held up by them. */
  private chain: Promise<unknown> = Promise.resolve();
  private abort = new AbortController();
  private lastResult: PollResultKind | undefined;
  private lastEtagResult: 'not_modified' | 'modified' | undefined;
  private rateRemaining: number | undefined;

  constructor(opts: PollerOptions) {
    if (!(opts.intervalMs > 0)) throw new Error('poller: intervalMs must be > 0');
    this.o = {
      jitter: 0.1,
      maxEnvelopeBytes: DEFAULT_MAX_ENVELOPE,
      maxBackoffFactor: 8,
      downloadDeadlineMs: DEFAULT_DOWNLOAD_DEADLINE_MS,
      ...opts,
    };
    this.log = opts.log ?? silent;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Starts the schedule. After a restart the first poll waits for the persisted next allowed time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    void this.load().then(() => {
      if (this.running) this.schedule(Math.max(this.now(), this.notBefore()));
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Requests and downloads from GitHub are cut short; an apply in progress, which no longer reads from the
    // network, is left to finish (it is atomic either way).
    this.abort.abort();
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * POST /api/sync: poll now (trigger 'manual'). It asks GitHub even during a rate-limit wait: the operator
   * overrides it, and GitHub's answer sets the next wait.
   */
  async pollNow(): Promise<PollResult> {
    const r = await this.track(this.poll('manual'));
    // The schedule restarts from this check, so scheduled polls stay one interval apart.
    if (this.running && r.result !== 'rate_limited') this.schedule(this.notBefore());
    return r;
  }

  status(): PollerStatus {
    const now = this.now();
    const s = this.state;
    const limited = s.rateLimitedUntil !== undefined && s.rateLimitedUntil > now;
    const out: PollerStatus = {
      enabled: true,
      state: this.polling
        ? 'polling'
        : limited
          ? 'rate_limited'
          : s.consecutiveErrors > 0
            ? 'backoff'
            : 'idle',
      consecutiveErrors: s.consecutiveErrors,
    };
    if (s.lastCheckAt !== undefined) out.lastCheckAt = new Date(s.lastCheckAt).toISOString();
    if (this.lastResult) out.lastResult = this.lastResult;
    if (this.lastEtagResult) out.lastEtagResult = this.lastEtagResult;
    if (s.lastRelease) {
      out.lastRelease =
        s.lastRelease.serial === undefined
          ? { tag: s.lastRelease.tag }
          : { tag: s.lastRelease.tag, serial: s.lastRelease.serial };
    }
    // The planned time, even when slightly past (a poll is then under way or about to start).
    const next = this.running ? this.notBefore() || now : undefined;
    if (next !== undefined) out.nextCheckAt = new Date(next).toISOString();
    if (this.rateRemaining !== undefined) out.rateLimitRemaining = this.rateRemaining;
    if (limited) out.rateLimitedUntil = new Date(s.rateLimitedUntil!).toISOString();
    if (s.latestReleaseSerial !== undefined) out.latestReleaseSerial = s.latestReleaseSerial;
    return out;
  }

  /** The longest scheduled wait between polls: the backoff cap, with its jitter. */
  private maxWait(): number {
    return this.o.intervalMs * this.o.maxBackoffFactor * (1 + this.o.jitter);
  }

  /** Epoch ms before which the schedule must not poll: the interval/backoff time and any rate-limit wait. */
  private notBefore(): number {
    return Math.max(this.state.nextAllowedAt ?? 0, this.state.rateLimitedUntil ?? 0);
  }

  private load(): Promise<void> {
    this.ready ??= loadState(this.o.statePath).then(({ state, problem }) => {
      // A refusal may come from our own configuration (a key not yet rotated in): a restart, which is how
      // configuration changes, judges that release once more instead of trusting a remembered 304.
      if (state.lastRelease?.verdict === 'refused') {
        delete state.etag;
        delete state.lastRelease;
      }
      // A wait saved by an older version (or a clock jump) is capped like a new one.
      const now = this.now();
      if (state.rateLimitedUntil !== undefined)
        state.rateLimitedUntil = capRetryAt(state.rateLimitedUntil, now);
      const furthest = now + Math.max(this.maxWait(), MAX_RATE_LIMIT_WAIT_MS);
      if (state.nextAllowedAt !== undefined && state.nextAllowedAt > furthest) state.nextAllowedAt = furthest;
      this.state = state;
      if (problem) this.log.warn({ statePath: this.o.statePath }, problem);
    });
    return this.ready;
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - this.now()));
    // The HTTP server keeps the receiver alive; the poll timer alone must not.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    // Timers may fire a millisecond early against the wall clock; never let that become an early request.
    if (this.now() < this.notBefore()) return this.schedule(this.notBefore() + 1);
    await this.track(this.poll('polling'));
    if (this.running && !this.timer) this.schedule(Math.max(this.now(), this.notBefore()));
  }

  private poll(trigger: 'polling' | 'manual'): Promise<PollResult> {
    const run = this.chain.then(() => this.pollOnce(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async pollOnce(trigger: 'polling' | 'manual'): Promise<PollResult> {
    await this.load();
    const until = this.state.rateLimitedUntil;
    if (until !== undefined && this.now() < until) {
      if (trigger === 'polling') {
        return {
          result: 'rate_limited',
          retryAt: until,
          message: `GitHub rate limit: next request after ${new Date(until).toISOString()}`,
        };
      }
      // The operator overrides the wait; if GitHub still refuses, its answer sets a new one.
      delete this.state.rateLimitedUntil;
    }
    this.polling = true;
    const startedAt = this.now();
    let result: PollResult;
    let etag: string | undefined;
    try {
      const r = await this.check(trigger);
      result = r.result;
      etag = r.etag;
    } catch (err) {
      result = this.failure(err);
    } finally {
      this.polling = false;
    }
    this.settle(result, etag, startedAt);
    try {
      await saveState(this.o.statePath, this.state);
    } catch (err) {
      this.log.error(
        { err: (err as Error).message, statePath: this.o.statePath },
        'poller state could not be saved',
      );
    }
    this.lastResult = result.result;
    this.o.onResult?.(result);
    return result;
  }

  /** Updates timing state after a poll. The ETag is kept only when this answer was handled for good. */
  private settle(r: PollResult, etag: string | undefined, at: number): void {
    const s = this.state;
    const interval = this.o.intervalMs;
    const jitter = (ms: number) => ms * (1 + this.random() * this.o.jitter);
    s.lastCheckAt = at;
    if (r.result === 'rate_limited') {
      s.rateLimitedUntil = r.retryAt;
      s.nextAllowedAt = Math.max(r.retryAt ?? 0, at + interval);
      return;
    }
    if (r.result === 'error') {
      s.consecutiveErrors++;
      const backoff = Math.min(interval * 2 ** s.consecutiveErrors, interval * this.o.maxBackoffFactor);
      s.nextAllowedAt = at + jitter(backoff);
      return;
    }
    s.consecutiveErrors = 0;
    if (etag) s.etag = etag;
    s.nextAllowedAt = at + jitter(interval);
  }

  private failure(err: unknown): PollResult {
    if (err instanceof RateLimited) {
      this.rateRemaining = err.rate.remaining ?? this.rateRemaining;
      this.log.warn(
        { retryAt: new Date(err.retryAt).toISOString(), status: err.status },
        'GitHub rate limit; waiting',
      );
      return { result: 'rate_limited', retryAt: err.retryAt, code: err.code, message: err.message };
    }
    const code = err instanceof GitHubError ? err.code : 'internal';
    const message = err instanceof Error ? err.message : String(err);
    this.log.warn({ code, consecutiveErrors: this.state.consecutiveErrors + 1 }, `poll failed: ${message}`);
    return { result: 'error', code, message };
  }

  private async check(trigger: 'polling' | 'manual'): Promise<{ result: PollResult; etag?: string }> {
    const gh = this.o.github;
    const signal = this.abort.signal;
    const latest = await getLatestOurs(gh, this.state.etag, {
      signal,
      deadlineMs: this.o.downloadDeadlineMs,
      ...(this.o.maxReleaseJsonBytes ? { maxBytes: this.o.maxReleaseJsonBytes } : {}),
    });
    if (latest.rate.remaining !== undefined) this.rateRemaining = latest.rate.remaining;
    // The last request of the window succeeded: wait for the reset instead of spending a 403.
    if (latest.rate.remaining === 0 && latest.rate.reset !== undefined)
      this.state.rateLimitedUntil = capRetryAt(latest.rate.reset * 1000, this.now());
    if (latest.status === 'not_modified') {
      this.lastEtagResult = 'not_modified';
      return { result: { result: 'not_modified' } };
    }
    this.lastEtagResult = 'modified';
    if (latest.status === 'none')
      return { result: { result: 'up_to_date', message: 'no published release yet' } };
    const release = latest.release;
    const verdict = await this.judge(release, trigger, signal).catch((err: unknown) => {
      if (err instanceof Refused) return this.refused(release, err.code, err.message);
      throw err;
    });
    return { result: verdict, etag: latest.etag };
  }

  private refused(
    release: ReleaseInfo,
    code: string,
    message: string,
    payload?: ReleasePayload,
    outcome?: DeployOutcome,
  ): PollResult {
    this.log.warn({ release: release.tag, serial: payload?.serial, code }, `release refused: ${message}`);
    this.remember(release, 'refused', payload, code);
    const r: PollResult = { result: 'refused', release: release.tag, code, message };
    if (payload) r.serial = payload.serial;
    if (outcome) r.outcome = outcome;
    return r;
  }

  private remember(
    release: ReleaseInfo,
    verdict: SeenRelease['verdict'],
    payload?: ReleasePayload,
    code?: string,
  ): void {
    const seen: SeenRelease = { id: release.id, tag: release.tag, verdict };
    const env = release.assets.find((a) => a.name === ENVELOPE_ASSET);
    const bun = release.assets.find((a) => a.name === BUNDLE_ASSET);
    if (env) seen.envelopeAssetId = env.id;
    if (bun) seen.bundleAssetId = bun.id;
    if (payload) {
      seen.serial = payload.serial;
      seen.digest = payload.bundle.sha256;
    }
    if (code) seen.code = code;
    this.state.lastRelease = seen;
  }

  /** Decides what a (new) latest release means for us, downloading only what that decision needs. */
  private async judge(
    release: ReleaseInfo,
    trigger: 'polling' | 'manual',
    signal: AbortSignal,
  ): Promise<PollResult> {
    const env = release.assets.find((a) => a.name === ENVELOPE_ASSET);
    const bun = release.assets.find((a) => a.name === BUNDLE_ASSET);
    if (!env || !bun) {
      throw new Refused(
        'assets_missing',
        `release ${release.tag} lacks ${!env ? ENVELOPE_ASSET : BUNDLE_ASSET}`,
      );
    }
    const top = this.o.target.highestSerial();
    const cached = this.fromCache(release, env.id, bun.id, top);
    if (cached) return cached;

    const envelope = await this.fetchEnvelope(env, signal);
    let payload: ReleasePayload;
    try {
      payload = await this.o.target.verify(envelope, 'poll');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // The OIDC issuer's keys being unreachable says nothing about the release: retry it after a backoff.
      if (code === 'oidc-unavailable') throw err;
      throw new Refused(
        typeof code === 'string' ? code : 'envelope_invalid',
        `envelope does not verify: ${(err as Error).message}`,
      );
    }
    this.state.latestReleaseSerial = payload.serial;
    const base = { release: release.tag, serial: payload.serial };

    if (top && payload.serial === top.serial && payload.bundle.sha256 === top.digest) {
      this.remember(release, 'up_to_date', payload);
      return { result: 'up_to_date', ...base };
    }
    if (top && payload.serial <= top.serial) {
      // Rollback protection: an older (or replayed) release marked latest on GitHub is never applied.
      const older = payload.serial < top.serial;
      const reason = older
        ? `release ${release.tag} has serial ${payload.serial}, older than the applied ${top.serial} (rollback refused)`
        : `release ${release.tag} reuses serial ${payload.serial} with a different digest (replay refused)`;
      this.log.warn({ release: release.tag, serial: payload.serial, applied: top.serial }, reason);
      await this.o.target.recordSkipped?.(payload, reason);
      if (!older) return this.refused(release, 'replay', reason, payload);
      this.remember(release, 'older', payload);
      return { result: 'older_ignored', ...base, message: reason };
    }
    if (payload.bundle.size > this.o.maxBundleBytes) {
      return this.refused(
        release,
        'bundle_too_large',
        `signed bundle size ${payload.bundle.size} exceeds the ${this.o.maxBundleBytes}-byte cap`,
        payload,
      );
    }
    if (bun.size !== payload.bundle.size) {
      return this.refused(
        release,
        'size_mismatch',
        `${BUNDLE_ASSET} is ${bun.size} bytes, the envelope signed ${payload.bundle.size}`,
        payload,
      );
    }

    let stream: AsyncIterable<Uint8Array>;
    try {
      stream = await downloadAsset(this.o.github, bun, {
        maxBytes: payload.bundle.size,
        signal,
        deadlineMs: this.o.downloadDeadlineMs,
      });
    } catch (err) {
      // A declared size over the signed one will not shrink on a retry: refused, not retried.
      if (err instanceof AssetTooLarge) return this.refused(release, err.code, err.message, payload);
      throw err;
    }
    const tracked = new Tracked(stream);
    const outcome = await this.o.target.deployFetched(envelope as Envelope, payload, tracked, trigger);
    if (tracked.error instanceof AssetTooLarge)
      return this.refused(release, tracked.error.code, tracked.error.message, payload, outcome);
    if (tracked.error) throw tracked.error; // transient download failure: retried with backoff, ETag not kept
    switch (outcome.status) {
      case 'deployed':
      case 'rolled_back':
        this.remember(release, 'applied', payload);
        this.log.info(
          { release: release.tag, serial: payload.serial, status: outcome.status, trigger },
          'release applied from GitHub',
        );
        return { result: 'new_release', ...base, outcome };
      case 'already_live':
        this.remember(release, 'up_to_date', payload);
        return { result: 'up_to_date', ...base, outcome };
      case 'rejected':
        return this.refused(
          release,
          outcome.code ?? 'rejected',
          outcome.message ?? 'deployment rejected',
          payload,
          outcome,
        );
      default:
        return {
          result: 'error',
          ...base,
          outcome,
          code: outcome.code ?? 'deploy_failed',
          message: outcome.message ?? 'deployment failed',
        };
    }
  }

  /**
   * GitHub's JSON changes when only download_count does, so a 200 can describe a release we already judged.
   * Same release and same asset ids: reuse the verdict instead of downloading again.
   */
  private fromCache(
    release: ReleaseInfo,
    envId: number,
    bunId: number,
    top: { serial: number; digest: string } | null,
  ): PollResult | undefined {
    const seen = this.state.lastRelease;
    if (!seen || seen.id !== release.id || seen.envelopeAssetId !== envId || seen.bundleAssetId !== bunId)
      return undefined;
    const base: PollResult = { result: 'up_to_date', release: release.tag };
    if (seen.serial !== undefined) base.serial = seen.serial;
    if (seen.verdict === 'refused')
      return {
        ...base,
        result: 'refused',
        code: seen.code ?? 'refused',
        message: 'release was refused before',
      };
    if (seen.verdict === 'older' && top && seen.serial !== undefined && seen.serial < top.serial)
      return { ...base, result: 'older_ignored' };
    if (top && seen.serial === top.serial && seen.digest === top.digest) return base;
    return undefined;
  }

  private async fetchEnvelope(asset: { id: number; size: number }, signal: AbortSignal): Promise<unknown> {
    const chunks: Uint8Array[] = [];
    try {
      for await (const c of await downloadAsset(this.o.github, asset, {
        maxBytes: this.o.maxEnvelopeBytes,
        signal,
        deadlineMs: this.o.downloadDeadlineMs,
      }))
        chunks.push(c);
    } catch (err) {
      if (err instanceof AssetTooLarge) throw new Refused('envelope_too_large', err.message);
      throw err;
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new Refused('envelope_invalid', `${ENVELOPE_ASSET} is not JSON`);
    }
  }
}

/** Passes the download through and keeps its error, so a deploy failure can be traced to the network or the cap. */
class Tracked implements AsyncIterable<Uint8Array> {
  error: Error | undefined;
  constructor(private readonly inner: AsyncIterable<Uint8Array>) {}
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      yield* this.inner;
    } catch (err) {
      this.error = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }
}
