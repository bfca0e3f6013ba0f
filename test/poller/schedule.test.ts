// The poll schedule on a fake clock: interval, jitter, backoff and its cap, rate-limit waits, saved waits capped.
import { describe, expect, it } from 'vitest';
import { MAX_RATE_LIMIT_WAIT_MS } from '../../core/release/index.js';
import { afterPoll, capLoaded, notBefore, type ScheduleOptions } from '../../receiver/poller/schedule.js';
import { emptyState, type PollerState } from '../../receiver/poller/state.js';
import type { PollResult } from '../../receiver/poller/types.js';

const MIN = 60_000;
/** Jitter drawn at its top (random → 0.5 of 0.2 = +10%), so every wait is exact. */
const o: ScheduleOptions = { intervalMs: 5 * MIN, jitter: 0.2, maxBackoffFactor: 8, random: () => 0.5 };
const T0 = Date.UTC(2026, 0, 1);

/** Runs results through the schedule, each poll starting exactly when the schedule allows: a fake clock. */
function timeline(results: Pick<PollResult, 'result' | 'retryAt'>[], start = emptyState()) {
  let state: PollerState = start;
  let now = T0;
  const polledAt: number[] = [];
  for (const r of results) {
    now = Math.max(now, notBefore(state));
    polledAt.push(now - T0);
    state = afterPoll(state, r, undefined, now, o);
  }
  return { state, polledAt };
}

describe('the poll schedule', () => {
  it('polls one interval apart, lengthened by the jitter, never shortened', () => {
    const { polledAt } = timeline([
      { result: 'up_to_date' },
      { result: 'not_modified' },
      { result: 'new_release' },
    ]);
    expect(polledAt).toEqual([0, 5.5 * MIN, 11 * MIN]);
    const never = afterPoll(emptyState(), { result: 'up_to_date' }, undefined, T0, { ...o, random: () => 0 });
    expect(never.nextAllowedAt).toBe(T0 + 5 * MIN);
  });

  it('backs off exponentially after errors, caps the wait at 8 intervals, and resets on the next answer', () => {
    const errors = Array.from({ length: 5 }, () => ({ result: 'error' as const }));
    const { state, polledAt } = timeline([...errors, { result: 'up_to_date' }, { result: 'up_to_date' }]);
    // Waits: 2, 4, 8, 8 (capped), 8 intervals, each +10%; then one interval again.
    const waits = polledAt.slice(1).map((t, i) => (t - polledAt[i]!) / (5.5 * MIN));
    expect(waits).toEqual([2, 4, 8, 8, 8, 1]);
    expect(state.consecutiveErrors).toBe(0);
  });

  it('keeps the ETag only from an answer it handled', () => {
    const handled = afterPoll(emptyState(), { result: 'up_to_date' }, '"a"', T0, o);
    expect(handled.etag).toBe('"a"');
    const failed = afterPoll(handled, { result: 'error' }, '"b"', T0 + MIN, o);
    expect(failed.etag).toBe('"a"');
  });

  it("waits for GitHub's rate-limit reset, and at least one interval", () => {
    const soon = afterPoll(emptyState(), { result: 'rate_limited', retryAt: T0 + MIN }, undefined, T0, o);
    expect(soon.rateLimitedUntil).toBe(T0 + MIN);
    expect(notBefore(soon)).toBe(T0 + 5 * MIN);
    const late = afterPoll(
      emptyState(),
      { result: 'rate_limited', retryAt: T0 + 30 * MIN },
      undefined,
      T0,
      o,
    );
    expect(notBefore(late)).toBe(T0 + 30 * MIN);
    // A rate limit is not an error: the backoff does not grow.
    expect(late.consecutiveErrors).toBe(0);
  });

  it('caps a saved wait that lies beyond the longest one this configuration allows', () => {
    const saved: PollerState = {
      ...emptyState(),
      nextAllowedAt: T0 + 365 * 24 * 60 * MIN,
      rateLimitedUntil: T0 + 365 * 24 * 60 * MIN,
    };
    const loaded = capLoaded(saved, T0, o);
    expect(loaded.rateLimitedUntil).toBe(T0 + MAX_RATE_LIMIT_WAIT_MS);
    expect(loaded.nextAllowedAt).toBe(T0 + Math.max(8 * 1.2 * 5 * MIN, MAX_RATE_LIMIT_WAIT_MS));
    // A wait inside the bounds is kept as it is.
    const near = { ...emptyState(), nextAllowedAt: T0 + MIN };
    expect(capLoaded(near, T0, o).nextAllowedAt).toBe(T0 + MIN);
  });

  it('never changes the state it is given', () => {
    const before = { ...emptyState(), consecutiveErrors: 2 };
    afterPoll(before, { result: 'error' }, undefined, T0, o);
    capLoaded(before, T0, o);
    expect(before).toEqual({ ...emptyState(), consecutiveErrors: 2 });
  });
});
