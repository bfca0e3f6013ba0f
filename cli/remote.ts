// Talking to a running receiver from the CLI: base URL, API key from the environment, JSON requests.
import { UsageError } from './args.js';
import { describeNetworkError } from '../core/net-error.js';
import { redactUrl, scrubText } from '../core/secrets/redact.js';
import { fetchWithTimeout } from '../core/fetch.js';

export interface Remote {
  url: string;
  apiKey?: string;
}

export function remoteFrom(values: { url?: string; 'api-key-env'?: string }): Remote {
  const url = values.url ?? process.env.SKILL_SYNC_RECEIVER_URL;
  if (!url) throw new UsageError('--url is required (or set SKILL_SYNC_RECEIVER_URL)');
  try {
    new URL(url);
  } catch {
    throw new UsageError('--url is not a valid URL');
  }
  const named = values['api-key-env'];
  // A variable the user named must hold the key: silently calling without one would look like a receiver fault.
  if (named !== undefined && !process.env[named])
    throw new UsageError(`--api-key-env: environment variable ${named} is empty or unset`);
  const apiKey = process.env[named ?? 'MANUAL_SYNC_API_KEY'] || undefined;
  return { url: url.replace(/\/+$/, ''), ...(apiKey ? { apiKey } : {}) };
}

export async function call(
  remote: Remote,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (remote.apiKey) headers['x-api-key'] = remote.apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetchWithTimeout(remote.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: 120_000,
    });
  } catch (err) {
    throw new Error(`cannot reach ${redactUrl(remote.url)}: ${scrubText(describeNetworkError(err))}`);
  }
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // keep the raw text
  }
  return { status: res.status, json };
}
