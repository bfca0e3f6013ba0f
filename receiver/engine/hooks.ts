// After-switch hooks: reload the gateway (POST and/or touch a file), HTTP health check, alert webhook.
import { open, utimes } from 'node:fs/promises';
import { fetchWithTimeout } from '../../core/fetch.js';
import { retry } from '../../core/retry.js';
import { redactUrl } from '../../core/secrets/redact.js';
import type { Log } from '../log.js';
import type { EngineConfig } from './types.js';

/** The whole exchange is bounded, the drain too: a hook that answers and then trickles must not hold a deploy. */
async function fetchAndDrain(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const res = await fetchWithTimeout(url, { ...init, timeoutMs });
  // Drain so the socket is released; the body is not used.
  await res.arrayBuffer().catch(() => undefined);
  return res;
}

async function touch(file: string): Promise<void> {
  const now = new Date();
  try {
    await utimes(file, now, now);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await (await open(file, 'a')).close();
  }
}

/**
 * Reload hook. A failure is a warning only: the health check that follows decides whether the deploy stands.
 * Returns the list of problems (empty when every configured hook worked).
 */
export async function runReload(reload: EngineConfig['reload'], body: object, log?: Log): Promise<string[]> {
  const problems: string[] = [];
  if (reload?.file) {
    await touch(reload.file).catch((err: Error) => problems.push(`reload file: ${err.message}`));
  }
  if (reload?.url) {
    try {
      const res = await fetchAndDrain(
        reload.url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        reload.timeoutMs ?? 5000,
      );
      if (!res.ok) problems.push(`reload url ${redactUrl(reload.url)} answered ${res.status}`);
    } catch (err) {
      problems.push(`reload url ${redactUrl(reload.url)} failed: ${(err as Error).name}`);
    }
  }
  if (problems.length) log?.warn({ problems }, 'reload hook failed; the health check decides');
  return problems;
}

/** GET the health URL until it answers 2xx; null when healthy, else the last problem. */
export async function httpHealth(health: EngineConfig['health']): Promise<string | null> {
  if (!health?.url) return null;
  const url = health.url;
  const attempts = Math.max(1, health.retries + 1);
  const problem = await retry(
    attempts,
    async () => {
      try {
        const res = await fetchAndDrain(url, { method: 'GET' }, health.timeoutMs);
        return res.ok ? null : `health check ${redactUrl(url)} answered ${res.status}`;
      } catch (err) {
        return `health check ${redactUrl(url)} failed: ${(err as Error).name}`;
      }
    },
    (p) => (p === null ? undefined : health.intervalMs),
  );
  return problem && `${problem} (after ${attempts} attempt${attempts > 1 ? 's' : ''})`;
}

/** Alert webhook: `text` is Slack's field, `content` Discord's. Never throws; bounded by a timeout. */
export async function sendAlert(url: string, text: string, details: object, log?: Log): Promise<void> {
  try {
    const res = await fetchAndDrain(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...details, text, content: text }),
      },
      5000,
    );
    if (!res.ok) log?.warn({ url: redactUrl(url), status: res.status }, 'alert webhook refused the alert');
  } catch (err) {
    log?.warn({ url: redactUrl(url), error: (err as Error).name }, 'alert webhook failed');
  }
}
