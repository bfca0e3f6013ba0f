// core/secrets/redact.ts: the one URL redactor and the text scrubber every shell calls (docs/security.md).
import { describe, expect, it } from 'vitest';
import { redactUrl, scrubText } from '../../core/secrets/redact.js';

describe('redactUrl', () => {
  it('keeps scheme, host and port only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com');
    expect(redactUrl('https://discord.com/api/webhooks/123/tok')).toBe('https://discord.com');
    expect(redactUrl('http://u:p@127.0.0.1:8080/health/tok?x=1#f')).toBe('http://127.0.0.1:8080');
    expect(redactUrl('neo4j+s://neo4j:pw@db.example:7687')).toBe('neo4j+s://db.example:7687');
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });

  it('keeps a path known to be safe, without user info or query values', () => {
    expect(redactUrl('https://u:p@r.example/v1/deployments?token=abc', { keepPath: true })).toBe(
      'https://r.example/v1/deployments?token=***',
    );
  });
});

describe('scrubText', () => {
  it('cuts every URL in a message, removes known secrets and what the scanner knows', () => {
    const token = 'Zx9Qw7Er5Ty3Ui1Op2As8Df';
    const text =
      `fetch http://user:pw@proxy.example/secret/path failed; api_key = "${token}" rejected; ` +
      `password hunter2x for admin:s3cretPass@host; known=abc-known-123`;
    const out = scrubText(text, ['abc-known-123']);
    expect(out).toContain('http://proxy.example failed');
    for (const gone of ['/secret/path', 'pw@', 'Er5Ty3Ui1Op2As8Df', 's3cretPass', 'abc-known-123'])
      expect(out).not.toContain(gone);
  });
});
