// GitHub's rate-limit headers, and when a refusal is a rate limit and how long it asks us to wait.
import { parseRetryAfter } from '../retry.js';

export interface RateInfo {
  limit?: number;
  remaining?: number;
  /** Epoch seconds when the window resets. */
  reset?: number;
  used?: number;
  resource?: string;
}

/** GitHub's advice when neither retry-after nor a reset time says how long: wait at least a minute. */
export const MIN_UNKNOWN_WAIT_MS = 60_000;

/**
 * The longest wait we accept from any answer (docs/security.md): GitHub's windows are an hour, and a reset in
 * the year 3000 or a huge Retry-After must not switch the poller off, across restarts too.
 */
export const MAX_RATE_LIMIT_WAIT_MS = 3_600_000;

/** `retryAt` (epoch ms), never before `now` and never more than MAX_RATE_LIMIT_WAIT_MS after it. */
export function capRetryAt(retryAt: number, now = Date.now()): number {
  if (!Number.isFinite(retryAt)) return now + MAX_RATE_LIMIT_WAIT_MS;
  return Math.min(Math.max(now, retryAt), now + MAX_RATE_LIMIT_WAIT_MS);
}

export class RateLimited extends Error {
  readonly code = 'github-rate-limited';
  constructor(
    /** Epoch ms before which no request may be made. */
    readonly retryAt: number,
    readonly rate: RateInfo,
    readonly status: number,
  ) {
    super(`GitHub rate limit (HTTP ${status}); retry after ${new Date(retryAt).toISOString()}`);
    this.name = 'RateLimited';
  }
}

function num(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function parseRateLimit(headers: Headers): RateInfo {
  const info: RateInfo = {};
  const limit = num(headers.get('x-ratelimit-limit'));
  const remaining = num(headers.get('x-ratelimit-remaining'));
  const reset = num(headers.get('x-ratelimit-reset'));
  const used = num(headers.get('x-ratelimit-used'));
  const resource = headers.get('x-ratelimit-resource');
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.reset = reset;
  if (used !== undefined) info.used = used;
  if (resource) info.resource = resource;
  return info;
}

/**
 * GitHub's documented order: `retry-after` (seconds, or an HTTP date); else, with remaining 0, the
 * `x-ratelimit-reset` time; else at least one minute. Returns null when the response is not a rate limit
 * (e.g. a 403 for permissions).
 */
export function rateLimitOf(
  status: number,
  headers: Headers,
  bodyText: string,
  now = Date.now(),
): RateLimited | null {
  if (status !== 403 && status !== 429) return null;
  const rate = parseRateLimit(headers);
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  const primary = rate.remaining === 0;
  const secondary = status === 429 || retryAfter !== undefined || /rate limit/i.test(bodyText);
  if (!primary && !secondary) return null;
  let retryAt: number;
  if (retryAfter !== undefined) retryAt = now + retryAfter;
  else if (primary && rate.reset !== undefined) retryAt = Math.max(now, rate.reset * 1000);
  else retryAt = now + MIN_UNKNOWN_WAIT_MS;
  return new RateLimited(capRetryAt(retryAt, now), rate, status);
}
