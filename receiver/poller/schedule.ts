// The poll schedule as pure functions of the state and a clock: when the next poll may go, after each result.
import { capRetryAt, MAX_RATE_LIMIT_WAIT_MS } from '../../core/release/index.js';
import type { PollerState } from './state.js';
import type { PollResult } from './types.js';

export interface ScheduleOptions {
  intervalMs: number;
  /** Extra random delay as a fraction of the wait; never shortens it. */
  jitter: number;
  /** Backoff cap as a multiple of the interval. */
  maxBackoffFactor: number;
  /** In [0, 1): Math.random in production, a fixed value in tests. */
  random: () => number;
}

/** Epoch ms before which no scheduled poll may go: the interval or backoff time, and any rate-limit wait. */
export function notBefore(s: Pick<PollerState, 'nextAllowedAt' | 'rateLimitedUntil'>): number {
  return Math.max(s.nextAllowedAt ?? 0, s.rateLimitedUntil ?? 0);
}

/** The longest scheduled wait between polls: the backoff cap, with its jitter. */
export function maxWait(o: ScheduleOptions): number {
  return o.intervalMs * o.maxBackoffFactor * (1 + o.jitter);
}

/**
 * The timing state after a poll that started at `at`: the interval after a handled answer, exponential
 * backoff after errors, GitHub's wait after a rate limit. The ETag is kept only when the answer was handled.
 */
export function afterPoll(
  state: PollerState,
  r: Pick<PollResult, 'result' | 'retryAt'>,
  etag: string | undefined,
  at: number,
  o: ScheduleOptions,
): PollerState {
  const s: PollerState = { ...state, lastCheckAt: at };
  const interval = o.intervalMs;
  const jitter = (ms: number) => ms * (1 + o.random() * o.jitter);
  if (r.result === 'rate_limited') {
    s.rateLimitedUntil = r.retryAt;
    s.nextAllowedAt = Math.max(r.retryAt ?? 0, at + interval);
    return s;
  }
  if (r.result === 'error') {
    s.consecutiveErrors++;
    const backoff = Math.min(interval * 2 ** s.consecutiveErrors, interval * o.maxBackoffFactor);
    s.nextAllowedAt = at + jitter(backoff);
    return s;
  }
  s.consecutiveErrors = 0;
  if (etag) s.etag = etag;
  s.nextAllowedAt = at + jitter(interval);
  return s;
}

/** A wait saved by an older version, or before a clock jump, is capped like a new one. */
export function capLoaded(state: PollerState, now: number, o: ScheduleOptions): PollerState {
  const s = { ...state };
  if (s.rateLimitedUntil !== undefined) s.rateLimitedUntil = capRetryAt(s.rateLimitedUntil, now);
  const furthest = now + Math.max(maxWait(o), MAX_RATE_LIMIT_WAIT_MS);
  if (s.nextAllowedAt !== undefined && s.nextAllowedAt > furthest) s.nextAllowedAt = furthest;
  return s;
}
