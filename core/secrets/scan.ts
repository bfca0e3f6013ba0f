// Secret scanner entry point: turns the secrets found in one file's text into findings with redacted previews.
import type { Finding } from '../findings.js';
import { secretFingerprint } from './fingerprint.js';
import { findSecrets } from './match.js';
import { redact } from './redact.js';

export { redact, redactSecrets } from './redact.js';
export { secretFingerprint } from './fingerprint.js';
export { secretRules } from './rules.js';

export interface ScanOptions {
  /** Fingerprints from `.skillsyncignore` (`fingerprint:<hex>` lines, without the prefix). */
  allowFingerprints?: ReadonlySet<string>;
  /** The bytes `text` was decoded from, when the caller has them (saves encoding the text again). */
  utf8?: Uint8Array;
}

/** The inline allowlist marker: anywhere on the line of a secret's first character. */
export const ALLOW_MARKER = 'skill-sync:allow';

const FIX =
  'Remove the secret from the file, rotate the credential (treat it as exposed), and read it from an environment ' +
  `variable at runtime. If this is a false positive, add "${ALLOW_MARKER}" on the line or ` +
  '"fingerprint:<hex>" (the fingerprint above) to .skillsyncignore.';

/** Every secret in `text` as an error finding at its exact 1-based line and column (UTF-16 units). */
export function scanText(text: string, file: string, opts: ScanOptions = {}): Finding[] {
  const matches = findSecrets(text, opts.utf8);
  if (matches.length === 0) return [];
  const findings: Finding[] = [];
  const allowByLine = new Map<number, boolean>();
  // Matches come sorted by position, so one forward walk over the newlines places them all.
  let line = 1;
  let lineStart = 0;
  for (const m of matches) {
    for (
      let nl = text.indexOf('\n', lineStart);
      nl !== -1 && nl < m.start;
      nl = text.indexOf('\n', lineStart)
    ) {
      line++;
      lineStart = nl + 1;
    }
    let allowed = allowByLine.get(line);
    if (allowed === undefined) {
      const lineEnd = text.indexOf('\n', lineStart);
      allowed = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd).includes(ALLOW_MARKER);
      allowByLine.set(line, allowed);
    }
    if (allowed) continue;
    const rule = `secret/${m.rule.id}`;
    const fp = secretFingerprint(rule, m.secret);
    if (opts.allowFingerprints?.has(fp)) continue;
    // A byte-order mark is invisible in editors, so it does not count as a column.
    const bom = line === 1 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    findings.push({
      severity: 'error',
      rule,
      file,
      line,
      column: m.start - lineStart + 1 - bom,
      message: `${m.rule.name} ${redact(m.secret)} (fingerprint ${fp})`,
      fix: FIX,
    });
  }
  return findings;
}
