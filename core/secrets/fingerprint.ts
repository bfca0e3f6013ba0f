// Secret fingerprints: a stable id for one finding, so users can allowlist it without writing the secret down.
import { sha256 } from '../digest.js';

/**
 * First 16 hex of sha256(`<rule>:<secret>`), where rule is the finding's id (e.g. `secret/github-pat`). Carriage
 * returns are dropped first, so a multi-line key has one fingerprint in LF and CRLF checkouts alike.
 */
export function secretFingerprint(rule: string, secret: string): string {
  return sha256(`${rule}:${secret.replaceAll('\r', '')}`).slice(0, 16);
}
