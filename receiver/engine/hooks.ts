// After-switch hooks: reload the gateway (POST and/or touch a file), HTTP health check, alert webhook.
import { open, utimes } from 'node:fs/promises';
import { redactUrl } from '../../core/secrets/redact.js';
import type { Log } from '../log.js';
import type { EngineConfig } from './types.js';

async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal: ctl.signal });
    // Drain so the socket is released; the body is not used.
    await res.arrayBuffer().catch(() => undefined);
    return res;
  } finally {
    clearTimeout(timer);
  }
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
      const res = await fetchWithTimeout(
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
  let last = 'not checked';
  const attempts = Math.max(1, health.retries + 1);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, health.intervalMs));
    try {
      const res = await fetchWithTimeout(health.url, { method: 'GET' }, health.timeoutMs);
      if (res.ok) return null;
      last = `health check ${redactUrl(health.url)} answered ${res.status}`;
    } catch (err) {
      last = `health check ${redactUrl(health.url)} failed: ${(err as Error).name}`;
    }
  }
  return `${last} (after ${attempts} attempt${attempts > 1 ? 's' : ''})`;
}

/** Alert webhook: `text` is Slack's field, `content` Discord's. Never throws; bounded by a timeout. */
export async function sendAlert(url: string, text: string, details: object, log?: Log): Promise<void> {
  try {
    const res = await fetchWithTimeout(
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
