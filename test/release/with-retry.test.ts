// withRetry (core/release/http.ts) on core/retry.ts: what is retried, what waits for a rate limit, on a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withRetry } from '../../core/release/http.js';
import { RateLimited } from '../../core/release/rate-limit.js';
import { GitHubError } from '../../core/release/target.js';

/** A call that fails with `errors` in turn, then answers 'ok'; `calls` counts the attempts. */
function flaky(...errors: Error[]) {
  const f = {
    calls: 0,
    fn: () => {
      const error = errors[f.calls++];
      return error ? Promise.reject(error) : Promise.resolve('ok');
    },
  };
  return f;
}

describe('withRetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries 5xx and network failures with backoff, and throws the last one when the attempts run out', async () => {
    const ok = flaky(
      new GitHubError('github_http', '502', 502),
      new GitHubError('github_unreachable', 'reset'),
    );
    const done = withRetry({ attempts: 3, baseDelayMs: 100 }, ok.fn);
    await vi.advanceTimersByTimeAsync(300); // the two backoffs are under 100 and 200 ms
    await expect(done).resolves.toBe('ok');
    expect(ok.calls).toBe(3);

    const down = flaky(...Array.from({ length: 5 }, () => new GitHubError('github_http', '503', 503)));
    const failed = withRetry({ attempts: 2, baseDelayMs: 100 }, down.fn);
    const settled = expect(failed).rejects.toMatchObject({ status: 503 });
    await vi.advanceTimersByTimeAsync(100);
    await settled;
    expect(down.calls).toBe(2);
  });

  it('does not retry a 4xx', async () => {
    const f = flaky(new GitHubError('github_http', 'not found', 404));
    await expect(withRetry({ attempts: 4 }, f.fn)).rejects.toMatchObject({ status: 404 });
    expect(f.calls).toBe(1);
  });

  it('waits out a short rate limit until its time, and fails at once on a longer one', async () => {
    const short = flaky(new RateLimited(Date.now() + 5000, {}, 429));
    const done = withRetry({ attempts: 2, maxRateLimitWaitMs: 10_000 }, short.fn);
    await vi.advanceTimersByTimeAsync(4999);
    expect(short.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe('ok');
    expect(short.calls).toBe(2);

    const long = flaky(new RateLimited(Date.now() + 60_000, {}, 403));
    await expect(withRetry({ attempts: 4, maxRateLimitWaitMs: 10_000 }, long.fn)).rejects.toBeInstanceOf(
      RateLimited,
    );
    expect(long.calls).toBe(1);
  });
});
