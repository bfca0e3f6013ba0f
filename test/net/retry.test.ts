// core/retry.ts: the one retry loop, backoff and Retry-After parser that GitHub calls, push delivery and hooks share.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, parseRetryAfter, retry } from '../../core/retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds and HTTP dates (RFC 9110) as milliseconds from now', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3000);
    // A date already past means "now", never a negative wait.
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });

  it('leaves capping to the caller and ignores what it cannot read', () => {
    expect(parseRetryAfter('99999')).toBe(99_999_000);
    for (const v of ['soon', '-5', '1.5', '', null, undefined])
      expect(parseRetryAfter(v), String(v)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const almostOne = () => 0.999999;

  it('doubles its ceiling per attempt, with full jitter below it', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(1, 100, 10_000, almostOne)).toBeLessThan(100);
    expect(backoffDelay(1, 100, 10_000, almostOne)).toBeGreaterThan(99);
    expect(backoffDelay(4, 100, 10_000, almostOne)).toBeGreaterThan(799);
    expect(backoffDelay(4, 100, 10_000, almostOne)).toBeLessThan(800);
  });

  it('never exceeds the cap, even after a very long outage', () => {
    expect(backoffDelay(8, 100, 1000, almostOne)).toBeLessThan(1000);
    expect(backoffDelay(100_000, 100, 1000, almostOne)).toBeLessThan(1000);
    expect(Number.isFinite(backoffDelay(100_000, 100, Infinity, almostOne))).toBe(true);
  });
});

describe('retry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops at the first outcome the caller does not want retried', async () => {
    const seen: number[] = [];
    const out = await retry(
      5,
      (n) => Promise.resolve(n),
      (n) => {
        seen.push(n);
        return n < 3 ? 0 : undefined;
      },
    );
    expect(out).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('returns the last outcome once the attempts are used up, without asking for a wait', async () => {
    const waits: number[] = [];
    const out = await retry(
      3,
      (n) => Promise.resolve(`try ${n}`),
      (_o, n) => {
        waits.push(n);
        return 0;
      },
    );
    expect(out).toBe('try 3');
    expect(waits).toEqual([1, 2]);
  });

  it('waits the time it is told before the next attempt (fake clock)', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const done = retry(
      2,
      () => Promise.resolve(++calls),
      () => 1000,
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await expect(done).resolves.toBe(2);
  });
});
