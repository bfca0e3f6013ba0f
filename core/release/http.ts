// One REST call to GitHub: timeout, turning failures into GitHubError / RateLimited, and retry with backoff.
import { GitHubError, timeoutOf, type GitHubTarget } from './target.js';
import { RateLimited, rateLimitOf } from './rate-limit.js';

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  signal?: AbortSignal;
  /** Statuses the caller handles itself (e.g. 304, 404, 422); everything else non-2xx throws. */
  accept?: number[];
  redirect?: RequestInit['redirect'];
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/** fetch with a header timeout; network failures and timeouts become transient GitHubErrors. */
export async function call(t: GitHubTarget, url: string, opts: CallOptions = {}): Promise<Response> {
  // The timer covers the wait for response headers only; a long body download is guarded by its reader.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutOf(t));
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  const init: RequestInit & { duplex?: 'half' } = {
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    signal,
    redirect: opts.redirect ?? 'follow',
  };
  if (opts.body !== undefined) {
    init.body = opts.body;
    // Streams as request bodies need half-duplex in Node's fetch.
    if (opts.body instanceof ReadableStream) init.duplex = 'half';
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const what = timeout.signal.aborted ? `timed out after ${timeoutOf(t)} ms` : `failed: ${describe(err)}`;
    throw new GitHubError('github_unreachable', `${init.method} ${new URL(url).pathname} ${what}`);
  } finally {
    clearTimeout(timer);
  }
  if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) return res;
  const text = await res.text().catch(() => '');
  const limited = rateLimitOf(res.status, res.headers, text);
  if (limited) throw limited;
  const message = githubMessage(text);
  throw new GitHubError(
    `github_http_${res.status}`,
    `${init.method} ${new URL(url).pathname} → HTTP ${res.status}${message ? `: ${message}` : ''}`,
    res.status,
  );
}

/**
 * GitHub's error text: `message`, then each `errors[]` entry's own message (or its resource/field/code), since
 * the reason is often only there ("Validation Failed: Cannot upload assets to an immutable release.").
 */
export function githubMessage(text: string): string {
  let doc: { message?: unknown; errors?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return text.slice(0, 200);
  }
  const details = (Array.isArray(doc.errors) ? doc.errors : []).map((e: unknown) => {
    if (typeof e === 'string') return e;
    const x = (e ?? {}) as Record<string, unknown>;
    if (typeof x.message === 'string' && x.message) return x.message;
    return [x.resource, x.field, x.code].filter((v) => typeof v === 'string' && v).join(' ');
  });
  const parts = [String(doc.message ?? ''), details.filter(Boolean).join('; ')].filter(Boolean);
  return parts.join(': ').replace(/\s+/g, ' ').slice(0, 500);
}

export async function callJson<T>(t: GitHubTarget, url: string, opts: CallOptions = {}): Promise<T> {
  const res = await call(t, url, opts);
  return (await res.json()) as T;
}

export interface RetryPolicy {
  /** Total attempts, including the first; default 4. */
  attempts?: number;
  /** First backoff; doubles each time, with up to 50% jitter; default 500 ms. */
  baseDelayMs?: number;
  /** A rate limit asking for a longer wait than this fails the call instead of sleeping; default 60 s. */
  maxRateLimitWaitMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries transient failures (5xx, timeouts, network) with exponential backoff; waits out short rate limits. */
export async function withRetry<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 4);
  const base = policy.baseDelayMs ?? 500;
  const maxWait = policy.maxRateLimitWaitMs ?? 60_000;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      if (err instanceof RateLimited) {
        const wait = err.retryAt - Date.now();
        if (wait > maxWait) throw err;
        await sleep(Math.max(0, wait));
      } else if (err instanceof GitHubError && err.transient) {
        const backoff = base * 2 ** (i - 1);
        await sleep(backoff + Math.random() * backoff * 0.5);
      } else {
        throw err;
      }
    }
  }
}
