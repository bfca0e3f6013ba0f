// Push delivery: POST the signed bundle to each receiver, with per-attempt timeout and jittered retries.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { ENVELOPE_HEADER } from './envelope/header.js';
import { redactSecrets } from './secrets/scan.js';
import { describeNetworkError } from './net-error.js';
import { redactUrl } from './secrets/redact.js';
import { backoffDelay, parseRetryAfter, retry } from './retry.js';

const DEPLOYMENTS_PATH = '/v1/deployments';
/** A receiver's Retry-After is honoured up to this, so a hostile value cannot stall the job (docs/action.md). */
const MAX_RETRY_AFTER_MS = 120_000;

/** What a receiver answered (201 applied, 200 already live); fields are the receiver's, all optional here. */
export interface ReceiverReply {
  deploymentId?: string;
  serial?: number;
  digest?: string;
  skills?: unknown;
  status?: string;
  durationMs?: number;
}

export type ReceiverResult =
  | { receiver: string; outcome: 'ok'; httpStatus: number; attempts: number; reply: ReceiverReply }
  | {
      receiver: string;
      outcome: 'refused';
      httpStatus: number;
      attempts: number;
      code: string;
      message: string;
    }
  | { receiver: string; outcome: 'unreachable'; attempts: number; httpStatus?: number; message: string };

export interface PublishOptions {
  /** Per attempt, not per receiver. */
  timeoutMs?: number;
  /** Extra attempts after the first one. */
  retries?: number;
  /** Backoff base and cap; full jitter picks a delay in [0, min(cap, base * 2^n)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  log?: (message: string) => void;
}

/** `https://host` → `https://host/v1/deployments`; a URL already ending in it is kept; a path prefix is kept. */
export function deploymentsUrl(receiver: string): URL {
  return withApiPath(receiver, DEPLOYMENTS_PATH);
}

export function withApiPath(base: string, apiPath: string): URL {
  let url: URL;
  try {
    url = new URL(base.trim());
  } catch {
    throw new Error(`publish/bad-url: not a URL: ${displayUrl(base)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`publish/bad-url: only http and https are supported: ${displayUrl(base)}`);
  }
  const trimmed = url.pathname.replace(/\/+$/, '');
  if (!trimmed.endsWith(apiPath)) url.pathname = trimmed + apiPath;
  return url;
}

/** A URL fit for logs: no user, password or query values (they often carry tokens). */
export function displayUrl(raw: string | URL): string {
  // A receiver URL's path is its API base, which we know holds no secret: it stays, to tell receivers apart.
  return redactUrl(raw, { keepPath: true });
}

/** Same bundle bytes and envelope to every receiver, in parallel; one result per receiver, in input order. */
export async function publishToReceivers(
  urls: string[],
  bundleFile: string,
  envelopeHeader: string,
  opts: PublishOptions = {},
): Promise<ReceiverResult[]> {
  const { size } = await stat(bundleFile);
  return Promise.all(urls.map((u) => publishOne(u, bundleFile, size, envelopeHeader, opts)));
}

async function publishOne(
  receiver: string,
  bundleFile: string,
  size: number,
  envelopeHeader: string,
  opts: PublishOptions,
): Promise<ReceiverResult> {
  const shown = displayUrl(receiver);
  const log = opts.log ?? (() => {});
  const retries = opts.retries ?? 4;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;
  let url: URL;
  try {
    url = deploymentsUrl(receiver);
  } catch (err) {
    return {
      receiver: shown,
      outcome: 'refused',
      httpStatus: 0,
      attempts: 0,
      code: 'bad_url',
      message: (err as Error).message,
    };
  }
  const tried = await retry(
    Math.max(0, retries) + 1,
    async (attempt) =>
      judge(await attemptPost(url, bundleFile, size, envelopeHeader, opts.timeoutMs ?? 30_000), attempt),
    ({ result, why, retryAfter }, attempt) => {
      if (result.outcome !== 'unreachable') return undefined;
      const wait =
        retryAfter === undefined
          ? backoffDelay(attempt, base, cap)
          : Math.min(retryAfter, MAX_RETRY_AFTER_MS);
      log(`${shown}: ${why}, retry ${attempt}/${retries} in ${Math.round(wait)} ms`);
      return wait;
    },
  );
  return tried.result;

  /** One attempt's result for this receiver, why it may be retried, and what Retry-After asked for. */
  function judge(
    res: Attempt,
    attempts: number,
  ): { result: ReceiverResult; why: string; retryAfter?: number } {
    if (res.kind === 'error')
      return {
        result: { receiver: shown, outcome: 'unreachable', attempts, message: res.message },
        why: res.message,
      };
    const { status, body, retryAfter } = res;
    if (status >= 200 && status < 300) {
      const result: ReceiverResult = {
        receiver: shown,
        outcome: 'ok',
        httpStatus: status,
        attempts,
        reply: parseReply(body),
      };
      return { result, why: '' };
    }
    const { code, message } = parseError(status, body);
    if (status === 404) {
      // Nothing at that path: the likely mistake is the URL itself, so show the whole one that was posted.
      const posted = `POST ${displayUrl(url)} answered 404${message ? ` (${message})` : ''}: is receiver-url the receiver's base URL?`;
      return {
        result: { receiver: shown, outcome: 'refused', httpStatus: status, attempts, code, message: posted },
        why: '',
      };
    }
    if (status !== 429 && status < 500)
      return {
        result: { receiver: shown, outcome: 'refused', httpStatus: status, attempts, code, message },
        why: '',
      };
    const message5xx = `${status} ${code}: ${message}`;
    return {
      result: { receiver: shown, outcome: 'unreachable', attempts, httpStatus: status, message: message5xx },
      why: `${status} ${code}`,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
  }
}

type Attempt =
  | { kind: 'response'; status: number; body: string; retryAfter: number | undefined }
  | { kind: 'error'; message: string };

/** One POST streamed from the file; never rejects, so the retry loop sees every failure the same way. */
function attemptPost(
  url: URL,
  file: string,
  size: number,
  envelopeHeader: string,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/gzip',
        'Content-Length': String(size),
        [ENVELOPE_HEADER]: envelopeHeader,
        'User-Agent': 'skill-sync',
        Accept: 'application/json',
      },
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        // Error bodies are for a one-line message; a huge body is not worth holding.
        if (kept < 64 * 1024) chunks.push(c);
        kept += c.length;
      });
      res.on('end', () =>
        done({
          kind: 'response',
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          retryAfter: parseRetryAfter(headerValue(res.headers['retry-after'])),
        }),
      );
      res.on('error', (err) => done({ kind: 'error', message: describeError(err) }));
    });
    req.on('error', (err) => done({ kind: 'error', message: describeError(err) }));
    const body = createReadStream(file);
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function describeError(err: Error & { code?: string }): string {
  return describeNetworkError(err);
}

function parseReply(body: string): ReceiverReply {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** A JSON field shown as text: strings as they are, anything else as JSON. */
function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Receiver errors are `{error:{code,message}}`; anything else is shown short and scrubbed. */
function parseError(status: number, body: string): { code: string; message: string } {
  try {
    const v = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (v?.error && typeof v.error === 'object') {
      return {
        code: redactSecrets(textOf(v.error.code) || `http_${status}`).slice(0, 100),
        message: redactSecrets(textOf(v.error.message)).slice(0, 500),
      };
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return { code: `http_${status}`, message: redactSecrets(body.replace(/\s+/g, ' ').trim()).slice(0, 200) };
}
