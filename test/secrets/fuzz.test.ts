// Fuzzing the secret scanner: random, huge, invalid-UTF-8 and prefix-fragment inputs never throw or hang.
// Every finding must also point at text that starts with its own redacted preview.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/findings.js';
import { redactSecrets, scanText } from '../../core/secrets/scan.js';

/** Offset of a finding's (line, column) in `text`, undoing the BOM rule. */
function offsetOf(text: string, f: Finding): number {
  let start = 0;
  for (let line = 1; line < f.line; line++) start = text.indexOf('\n', start) + 1;
  const bom = f.line === 1 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return start + f.column - 1 + bom;
}

/** The invariants every scan must hold, whatever the input. */
function checkScan(text: string): void {
  const findings = scanText(text, 'fuzz.md');
  for (const f of findings) {
    expect(f.severity).toBe('error');
    expect(f.rule).toMatch(/^secret\/[a-z0-9-]+$/);
    expect(f.line).toBeGreaterThanOrEqual(1);
    expect(f.column).toBeGreaterThanOrEqual(1);
    const preview = /^[^ ]+ .*? (\S+)… \(fingerprint [0-9a-f]{16}\)$/.exec(f.message);
    expect(preview, f.message).not.toBeNull();
    const head = f.message.slice(0, f.message.indexOf('…')).split(' ').pop()!;
    expect(text.startsWith(head, offsetOf(text, f))).toBe(true);
  }
  const scrubbed = redactSecrets(text);
  expect(typeof scrubbed).toBe('string');
}

const FRAGMENTS = [
  'sk-',
  'ant-',
  'api03-',
  'admin01-',
  'proj-',
  'svcacct-',
  'T3BlbkFJ',
  'gh',
  'p_',
  'github_pat_',
  'AKIA',
  'ASIA',
  'xox',
  'b-',
  'xapp-1-',
  'hooks.slack.com/services/T',
  'sk_live_',
  'AIza',
  'npm_',
  'hf_',
  'SG.',
  'discord.com/api/webhooks/',
  '-----BEGIN ',
  ' PRIVATE KEY-----',
  '\\n',
  'eyJ',
  'eyJhbGciOiJIUzI1NiJ9',
  '.',
  'postgres://',
  'mongodb+srv://',
  ':',
  '@',
  '"type": "service_account"',
  '"private_key": "',
  'token',
  'password',
  'secret',
  'aws_secret_access_key',
  ' = ',
  '=',
  '"',
  "'",
  '\n',
  '\r\n',
  ' ',
  'data:image/png;base64,',
  'sha512-',
  'skill-sync:allow',
  '\uFEFF',
  '\uD83D',
  'a1B2c3D4e5F6g7H8',
  '0123456789',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'abcdefghijklmnopqrstuvwxyz',
  '-_',
  '+/',
];

const fragments = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 200 }).map((parts) => parts.join(''));

describe('scanner fuzzing', () => {
  it('random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), checkScan), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), checkScan), { numRuns: 300 });
  });

  it('random bytes decoded as UTF-8 (invalid sequences included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) =>
        checkScan(Buffer.from(bytes).toString('utf8')),
      ),
      { numRuns: 300 },
    );
  });

  it('strings built from fragments of real prefixes', () => {
    fc.assert(fc.property(fragments, checkScan), { numRuns: 2000 });
  });

  it('huge lines built from fragments', () => {
    fc.assert(
      fc.property(fragments, fc.integer({ min: 1000, max: 20_000 }), (piece, times) => {
        checkScan(piece.repeat(Math.ceil(times / Math.max(1, piece.length))).slice(0, 2_000_000));
      }),
      { numRuns: 30 },
    );
  });

  // Adversarial shapes for the regexes: long runs right after a prefix, repeated prefixes, unterminated blocks.
  const MB = 1 << 20;
  const adversarial: Record<string, string> = {
    'repeated eyJ': 'eyJ'.repeat(MB),
    'eyJ segments': 'eyJ' + 'a'.repeat(MB) + '.eyJ' + 'b'.repeat(MB),
    'long ghp run': 'gh' + 'p_' + 'a'.repeat(2 * MB),
    'repeated ghp': ('gh' + 'p_').repeat(MB / 2),
    'token assignments': 'token='.repeat(MB / 2),
    'token values in one base64 run': ('token=' + 'Ab3dEf7hIj9kLm1n').repeat(MB / 16),
    'unterminated PEM': '-----BEGIN ' + 'PRIVATE KEY-----\n' + 'A'.repeat(2 * MB),
    'many PEM headers': ('-----BEGIN ' + 'RSA PRIVATE KEY-----').repeat(50_000),
    'url without @': 'postgres://' + 'u'.repeat(MB) + ':' + 'p'.repeat(MB),
    'many urls': 'postgres://a:b'.repeat(MB / 8),
    colons: ':'.repeat(2 * MB),
    'secret separators': 'aws_secret = '.repeat(MB / 8),
    'data URI with look-alikes':
      'data:image/png;base64,' + ('AI' + 'za' + 'B'.repeat(35) + '/').repeat(MB / 40),
    'megabyte line of random base64': Buffer.from(
      Array.from({ length: 3 * MB }, (_, i) => (i * 2654435761) % 256),
    ).toString('base64'),
    'CR only line endings': 'token = "x"\r'.repeat(MB / 8),
  };
  for (const [name, text] of Object.entries(adversarial)) {
    // The guard is the test timeout: catastrophic backtracking would take minutes to hours here.
    it(`adversarial input: ${name}`, () => checkScan(text), 30_000);
  }
});
