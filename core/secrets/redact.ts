// Redaction: the only form in which a secret may ever be shown (first 4 characters, then an ellipsis).
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
