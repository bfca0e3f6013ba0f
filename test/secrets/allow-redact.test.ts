// Allowlisting (inline marker, fingerprints) and redaction: how users silence a finding and how secrets are shown.
import { describe, expect, it } from 'vitest';
import { redact, redactSecrets, scanText, secretFingerprint, secretRules } from '../../core/secrets/scan.js';
import { checksummedToken, fakes, rng } from './fakes.js';

const byRule = (rule: string) => fakes(3).find((f) => f.rule === rule)!;

describe('allowlist', () => {
  const token = byRule('github-pat').secret;
  const text = `# Tokens\nuse ${token} here\nand ${token} there # skill-sync:allow\n`;

  it('skill-sync:allow anywhere on the line silences that line only', () => {
    const findings = scanText(text, 'SKILL.md');
    expect(findings.map((f) => [f.line, f.column])).toEqual([[2, 5]]);
    expect(scanText(`<!-- skill-sync:allow --> ${token}`, 'a.md')).toEqual([]);
  });

  it('a fingerprint silences exactly that secret under that rule', () => {
    const fp = secretFingerprint('secret/github-pat', token);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    const [finding] = scanText(text, 'SKILL.md');
    expect(finding!.message).toContain(`(fingerprint ${fp})`);
    expect(scanText(text, 'SKILL.md', { allowFingerprints: new Set([fp]) })).toEqual([]);
    // A different token is still reported.
    const other = checksummedToken('ghp', rng(99));
    const findings = scanText(`${other}\n${token}`, 'a.md', { allowFingerprints: new Set([fp]) });
    expect(findings.map((f) => f.line)).toEqual([1]);
  });

  it('fingerprints are stable and depend on rule and secret', () => {
    expect(secretFingerprint('secret/github-pat', token)).toBe(secretFingerprint('secret/github-pat', token));
    expect(secretFingerprint('secret/github-pat', token)).not.toBe(
      secretFingerprint('secret/npm-token', token),
    );
    expect(secretFingerprint('secret/github-pat', token)).not.toBe(
      secretFingerprint('secret/github-pat', token + 'x'),
    );
  });
});

describe('redaction', () => {
  it('shows the first 4 characters and an ellipsis', () => {
    expect(redact('ghp_abcdefgh')).toBe('ghp_…');
    expect(redact('ab')).toBe('ab…');
    // Never half a surrogate pair.
    expect(redact('🔑🔑🔑🔑🔑🔑')).toBe('🔑🔑🔑🔑…');
  });

  it('redactSecrets scrubs a sentence holding several secrets', () => {
    const gh = byRule('github-pat').secret;
    const aws = byRule('aws-access-key-id').secret;
    const conn = byRule('connection-string-password');
    const jwt = byRule('jwt').secret;
    const sentence = `push failed for ${gh} (aws ${aws}); db ${conn.snippet}; auth Bearer ${jwt}.`;
    const scrubbed = redactSecrets(sentence);
    for (const s of [gh, aws, conn.secret, jwt]) {
      expect(scrubbed).not.toContain(s);
      expect(scrubbed).toContain(redact(s));
    }
    expect(scrubbed.startsWith('push failed for ghp_… (aws AKIA…); db postgres://app_user:')).toBe(true);
    expect(scrubbed.endsWith('.')).toBe(true);
  });

  it('redactSecrets scrubs every rule, ignores allow markers and leaves clean text untouched', () => {
    for (const f of fakes(5)) {
      const out = redactSecrets(`error: ${f.snippet} # skill-sync:allow`);
      expect(out, f.rule).not.toContain(f.secret);
    }
    const clean = 'nothing secret here: token = $TOKEN, sha 3f786850e387550fdab836ed7e6dc881de23001b';
    expect(redactSecrets(clean)).toBe(clean);
  });
});

describe('rule catalogue', () => {
  it('lists unique secret/ ids with descriptions', () => {
    const ids = secretRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of secretRules) {
      expect(r.id).toMatch(/^secret\/[a-z0-9-]+$/);
      expect(r.description.length).toBeGreaterThan(10);
    }
  });
});

describe('multi-line secrets', () => {
  it('a private key has the same fingerprint with LF and CRLF line endings', () => {
    const pem = fakes(4).find((f) => f.rule === 'private-key')!;
    const lf = scanText(pem.snippet, 'key.md');
    const crlf = scanText(pem.snippet.replaceAll('\n', '\r\n'), 'key.md');
    expect(lf).toHaveLength(1);
    expect(crlf.map((f) => f.message)).toEqual(lf.map((f) => f.message));
  });
});
