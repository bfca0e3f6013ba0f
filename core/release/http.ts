// One REST call to GitHub: timeout, turning failures into GitHubError / RateLimited, and retry with backoff.
import type { ReadableStreamReadResult } from 'node:stream/web';
import { fetchWithTimeout, type TimeoutInit } from '../fetch.js';
import { backoffDelay, retry } from '../retry.js';
import { redactUrl, scrubText } from '../secrets/redact.js';
import { apiBase, GitHubError, timeoutOf, type GitHubTarget } from './target.js';
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

/** An error answer is read this far, no further: enough for GitHub's JSON message, never a flood. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * Aborts `ctl` with a github_timeout after `ms`, however the bytes trickle in: the total deadline of one
 * download (docs/security.md), next to the idle timer. Returns the function that disarms it.
 */
export function armDeadline(ctl: AbortController, ms: number, what: string): () => void {
  const timer = setTimeout(
    () => ctl.abort(new GitHubError('github_timeout', `${what}: not complete within ${ms} ms`)),
    ms,
  );
  timer.unref();
  return () => clearTimeout(timer);
}

/** The GitHubError a deadline or cap aborted with, else `err` itself. */
function abortReason(signal: AbortSignal | undefined, err: unknown): unknown {
  return signal?.aborted && signal.reason instanceof GitHubError ? signal.reason : err;
}

/**
 * Reads a response body into memory, at most `maxBytes`: `overflow` says whether more is an error
 * (github_body_too_large) or is cut off (an error answer we only quote).
 */
export async function readBody(
  res: Response,
  maxBytes: number,
  what: string,
  opts: { overflow: 'throw' | 'truncate'; signal?: AbortSignal },
): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (opts.overflow === 'throw' && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new GitHubError(
      'github_body_too_large',
      `${what}: ${declared} bytes, over the ${maxBytes}-byte cap`,
      res.status,
    );
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        const reason = abortReason(opts.signal, err);
        if (reason instanceof GitHubError) throw reason;
        throw new GitHubError('github_unreachable', `${what}: ${describe(err)}`);
      }
      if (step.done) break;
      const room = maxBytes - total;
      if (step.value.byteLength > room) {
        if (opts.overflow === 'throw')
          throw new GitHubError('github_body_too_large', `${what}: more than ${maxBytes} bytes`, res.status);
        chunks.push(step.value.subarray(0, room));
        total = maxBytes;
        break;
      }
      chunks.push(step.value);
      total += step.value.byteLength;
    }
  } finally {
    // Stops the transfer when we quit early, and releases the socket.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, total);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/**
 * How a request is named in errors: the API path after the configured base (which may hold credentials or a
 * secret proxy path), or just the origin of another host (a signed asset URL is a credential).
 */
function shownUrl(t: GitHubTarget, url: string): string {
  const base = apiBase(t);
  return url.startsWith(base + '/') ? url.slice(base.length).split('?')[0]! : redactUrl(url);
}

/** fetch with a header timeout; network failures and timeouts become transient GitHubErrors. */
export async function call(t: GitHubTarget, url: string, opts: CallOptions = {}): Promise<Response> {
  const init: TimeoutInit & { duplex?: 'half' } = {
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    redirect: opts.redirect ?? 'follow',
    timeoutMs: timeoutOf(t),
    // The timeout covers the wait for response headers only; a long body download is guarded by its reader.
    until: 'headers',
  };
  if (opts.signal) init.signal = opts.signal;
  if (opts.body !== undefined) {
    init.body = opts.body;
    // Streams as request bodies need half-duplex in Node's fetch.
    if (opts.body instanceof ReadableStream) init.duplex = 'half';
  }
  let res: Response;
  try {
    res = await fetchWithTimeout(url, init);
  } catch (err) {
    if (opts.signal?.aborted) throw abortReason(opts.signal, err);
    const what =
      err instanceof Error && err.name === 'TimeoutError'
        ? `timed out after ${timeoutOf(t)} ms`
        : `failed: ${scrubText(describe(err), [t.token])}`;
    throw new GitHubError('github_unreachable', `${init.method} ${shownUrl(t, url)} ${what}`);
  }
  if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) return res;
  const text = (
    await readBody(res, ERROR_BODY_BYTES, `${init.method} ${shownUrl(t, url)}`, {
      overflow: 'truncate',
    }).catch(() => Buffer.alloc(0))
  ).toString('utf8');
  const limited = rateLimitOf(res.status, res.headers, text);
  if (limited) throw limited;
  // GitHub's message is quoted, but an answer can echo what we sent (the token) or hold a URL.
  const message = scrubText(githubMessage(text), [t.token]);
  throw new GitHubError(
    `github_http_${res.status}`,
    `${init.method} ${shownUrl(t, url)} → HTTP ${res.status}${message ? `: ${message}` : ''}`,
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
  const parts = [
    typeof doc.message === 'string' ? doc.message : '',
    details.filter(Boolean).join('; '),
  ].filter(Boolean);
  return parts.join(': ').replace(/\s+/g, ' ').slice(0, 500);
}

export async function callJson<T>(t: GitHubTarget, url: string, opts: CallOptions = {}): Promise<T> {
  const res = await call(t, url, opts);
  return (await res.json()) as T;
}

export interface RetryPolicy {
  /** Total attempts, including the first; default 4. */
  attempts?: number;
  /** Backoff base: retry n waits up to base * 2^(n-1) (full jitter, core/retry.ts); default 500 ms. */
  baseDelayMs?: number;
  /** A rate limit asking for a longer wait than this fails the call instead of sleeping; default 60 s. */
  maxRateLimitWaitMs?: number;
}

/** No single backoff between two GitHub calls waits longer than this. */
const MAX_BACKOFF_MS = 30_000;

/** Retries transient failures (5xx, timeouts, network) with exponential backoff; waits out short rate limits. */
export async function withRetry<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  const base = policy.baseDelayMs ?? 500;
  const maxWait = policy.maxRateLimitWaitMs ?? 60_000;
  const outcome = await retry<{ value: T } | { error: unknown }>(
    Math.max(1, policy.attempts ?? 4),
    () =>
      fn().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    (o, n) => {
      if (!('error' in o)) return undefined;
      if (o.error instanceof RateLimited) {
        const wait = o.error.retryAt - Date.now();
        return wait > maxWait ? undefined : Math.max(0, wait);
      }
      return o.error instanceof GitHubError && o.error.transient
        ? backoffDelay(n, base, MAX_BACKOFF_MS)
        : undefined;
    },
  );
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
