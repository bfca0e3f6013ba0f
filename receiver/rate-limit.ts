// Per-client rate limits (hono-rate-limiter): deployment attempts, and wrong API keys on the operator API.
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { rateLimiter } from 'hono-rate-limiter';
import type { ReceiverConfig } from './config.js';

type Env = { Bindings: Partial<HttpBindings> };
const WINDOW_MS = 60_000;

/**
 * The client is the TCP peer, unless CLIENT_IP_HEADER names a header a trusted proxy sets: then its last
 * entry, the one the proxy appended itself (earlier entries come from the client and prove nothing).
 */
export function clientKey(c: Context<Env>, header: string | undefined): string {
  const forwarded = header ? c.req.header(header)?.split(',').at(-1)?.trim() : undefined;
  return forwarded || c.env?.incoming?.socket.remoteAddress || 'unknown';
}

function limiter(
  limit: number,
  header: string | undefined,
  message: string,
  extra: { requestWasSuccessful?: (c: Context<Env>) => boolean } = {},
): MiddlewareHandler {
  if (limit === 0) return async (_c, next) => next();
  return rateLimiter<Env>({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-7',
    keyGenerator: (c) => clientKey(c, header),
    handler: (c) => {
      // The request body is never read: close, so the client cannot keep streaming into a refusal.
      c.header('Connection', 'close');
      return c.json({ status: 'rejected', error: { code: 'rate-limited', message } }, 429);
    },
    ...(extra.requestWasSuccessful
      ? { skipSuccessfulRequests: true, requestWasSuccessful: extra.requestWasSuccessful }
      : {}),
  }) as MiddlewareHandler;
}

/** Every POST /v1/deployments counts, valid or not: a client sending more than this is not a CI job. */
export function deploymentLimit(cfg: ReceiverConfig['rateLimit']): MiddlewareHandler {
  return limiter(
    cfg.deploymentsPerMin,
    cfg.clientIpHeader,
    'too many deployment attempts from this client; see Retry-After',
  );
}

/** Only wrong or missing API keys count, so an operator's own calls never use up the budget. */
export function authFailureLimit(cfg: ReceiverConfig['rateLimit']): MiddlewareHandler {
  return limiter(
    cfg.authFailuresPerMin,
    cfg.clientIpHeader,
    'too many requests with a wrong API key from this client; see Retry-After',
    { requestWasSuccessful: (c) => c.res.status !== 401 },
  );
}
