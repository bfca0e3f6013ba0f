// Retries, written once: the retry loop, the backoff between attempts and the one `Retry-After` parser.

/**
 * The wait before retry number `attempt` (1-based): "full jitter" (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"), a delay in [0, min(cap, base * 2^(attempt-1))), so many clients retrying one recovering server
 * spread out instead of arriving together.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  // The exponent is bounded so a long outage cannot overflow to Infinity before the cap applies.
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, as milliseconds from `now` (never negative);
 * undefined when absent or unreadable. Callers cap the wait: each knows how long it can afford to stall.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would also take '-5' or '1.5' as dates.
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` up to `attempts` times. After each outcome but the last, `waitMs` says how long to wait before the
 * next attempt, or undefined to stop with this outcome (a success, or a failure not worth retrying).
 */
export async function retry<T>(
  attempts: number,
  attempt: (n: number) => Promise<T>,
  waitMs: (outcome: T, n: number) => number | undefined,
): Promise<T> {
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (n >= attempts) return outcome;
    const wait = waitMs(outcome, n);
    if (wait === undefined) return outcome;
    await sleep(wait);
  }
}
