// Poller: converge on the newest signed GitHub release when no push arrived, through the webhook's deploy path.
import { capRetryAt, getLatestOurs, GitHubError, RateLimited } from '../../core/release/index.js';
import { silentLog, type Log } from '../log.js';
import { judgeRelease } from './judge.js';
import { afterPoll, capLoaded, notBefore, type ScheduleOptions } from './schedule.js';
import { loadState, saveState, type PollerState } from './state.js';
import type { PollerOptions, PollerStatus, PollResult, PollResultKind } from './types.js';

export type { PollerOptions, PollerStatus, PollResult, PollResultKind, PollTarget } from './types.js';

const DEFAULT_MAX_ENVELOPE = 64 * 1024;
const DEFAULT_DOWNLOAD_DEADLINE_MS = 5 * 60_000;

/** The loop: timers, one poll at a time, the state on the volume, and the status /health shows. */
export class Poller {
  private readonly o: Required<Pick<PollerOptions, 'maxEnvelopeBytes' | 'downloadDeadlineMs'>> &
    PollerOptions;
  private readonly schedule: ScheduleOptions;
  private readonly log: Log;
  private readonly now: () => number;
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
      maxEnvelopeBytes: DEFAULT_MAX_ENVELOPE,
      downloadDeadlineMs: DEFAULT_DOWNLOAD_DEADLINE_MS,
      ...opts,
    };
    this.schedule = {
      intervalMs: opts.intervalMs,
      jitter: opts.jitter ?? 0.1,
      maxBackoffFactor: opts.maxBackoffFactor ?? 8,
      random: opts.random ?? Math.random,
    };
    this.log = opts.log ?? silentLog;
    this.now = opts.now ?? Date.now;
  }

  /** Starts the schedule. After a restart the first poll waits for the persisted next allowed time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    void this.load().then(() => {
      if (this.running) this.arm(Math.max(this.now(), notBefore(this.state)));
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
    if (this.running && r.result !== 'rate_limited') this.arm(notBefore(this.state));
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
    const next = this.running ? notBefore(s) || now : undefined;
    if (next !== undefined) out.nextCheckAt = new Date(next).toISOString();
    if (this.rateRemaining !== undefined) out.rateLimitRemaining = this.rateRemaining;
    if (limited) out.rateLimitedUntil = new Date(s.rateLimitedUntil!).toISOString();
    if (s.latestReleaseSerial !== undefined) out.latestReleaseSerial = s.latestReleaseSerial;
    return out;
  }

  private load(): Promise<void> {
    this.ready ??= loadState(this.o.statePath).then(({ state, problem }) => {
      // A refusal may come from our own configuration (a key not yet rotated in): a restart, which is how
      // configuration changes, judges that release once more instead of trusting a remembered 304.
      if (state.lastRelease?.verdict === 'refused') {
        delete state.etag;
        delete state.lastRelease;
      }
      this.state = capLoaded(state, this.now(), this.schedule);
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

  private arm(at: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - this.now()));
    // The HTTP server keeps the receiver alive; the poll timer alone must not.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    // Timers may fire a millisecond early against the wall clock; never let that become an early request.
    if (this.now() < notBefore(this.state)) return this.arm(notBefore(this.state) + 1);
    await this.track(this.poll('polling'));
    if (this.running && !this.timer) this.arm(Math.max(this.now(), notBefore(this.state)));
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
    this.state = afterPoll(this.state, result, etag, startedAt, this.schedule);
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
    const signal = this.abort.signal;
    const latest = await getLatestOurs(this.o.github, this.state.etag, {
      signal,
      deadlineMs: this.o.downloadDeadlineMs,
      ...(this.o.maxReleasePageBytes ? { maxBytes: this.o.maxReleasePageBytes } : {}),
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
    const ctx = {
      github: this.o.github,
      target: this.o.target,
      log: this.log,
      maxEnvelopeBytes: this.o.maxEnvelopeBytes,
      downloadDeadlineMs: this.o.downloadDeadlineMs,
      state: this.state,
    };
    return { result: await judgeRelease(ctx, latest.release, trigger, signal), etag: latest.etag };
  }
}
