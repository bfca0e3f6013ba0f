// Redaction: the only forms in which a secret, or a URL that may hold one, is ever shown (docs/security.md).
import { findSecrets } from './match.js';

export function redact(secret: string): string {
  // Code points, so a preview never ends in half a surrogate pair.
  return `${Array.from(secret.slice(0, 8)).slice(0, 4).join('')}…`;
}

/** Replaces every secret the rules find in arbitrary text (error messages, log lines) with its redacted form. */
export function redactSecrets(text: string): string {
  const matches = findSecrets(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start) + redact(m.secret);
    at = m.end;
  }
  return out + text.slice(at);
}

export const INVALID_URL = '<invalid url>';

/**
 * A URL fit for logs, replies, the audit trail and /health: scheme, host and port only. The path of a Slack or
 * Discord webhook is its secret, a health-check URL may carry a token, and any URL may carry `user:pass@`.
 * `keepPath` is only for URLs whose path is known to hold no secret (a receiver's own API base): the path
 * stays, user info goes, and query values are masked.
 */
export function redactUrl(raw: string | URL, opts: { keepPath?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(String(raw).trim());
  } catch {
    return INVALID_URL;
  }
  // `host` is empty for schemes like `mailto:`; such a URL shows only its scheme.
  if (!opts.keepPath) return url.host ? `${url.protocol}//${url.host}` : url.protocol;
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
  return url.toString();
}

/** Anything that looks like `scheme://…` inside a message. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s'"<>`]+/gi;

/**
 * Text from outside (an error message, a GitHub or Neo4j answer) made fit to show: the known secrets are
 * replaced, every URL is cut to scheme, host and port, leftover `user:pass@` is removed, and whatever the
 * secret scanner recognises is redacted.
 */
export function scrubText(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) if (secret) out = out.split(secret).join('***');
  out = out.replace(URL_IN_TEXT, (u) => {
    const shown = redactUrl(u);
    return shown === INVALID_URL ? '***' : shown;
  });
  out = out.replace(/\b[^\s:@/]+:[^\s@/]+@/g, '***@');
  return redactSecrets(out);
}
