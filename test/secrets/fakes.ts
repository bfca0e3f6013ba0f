// Fake credentials for the scanner tests, built from pieces at run time; none was ever a real key.
// Why pieces: so this repo never holds a literal that a real secret scanner (GitHub push protection, gitleaks) flags.
import { crc32 } from 'node:zlib';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64URL = ALNUM + '-_';
const B64 = ALNUM + '+/';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic PRNG (mulberry32), so a failing case is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick(r: () => number, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Independent of core/secrets/checksum.ts on purpose: base62 digits 0-9A-Za-z of the CRC32, padded to 6. */
function crcTail(data: string): string {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = crc32(data) >>> 0;
  let s = '';
  for (let i = 0; i < 6; i++) {
    s = digits[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s;
}

export function checksummedToken(prefix: string, r: () => number): string {
  const random = pick(r, ALNUM, 30);
  return `${prefix}_${random}${crcTail(random)}`;
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

export interface Fake {
  /** Rule id without the `secret/` prefix. */
  rule: string;
  /** The text to embed; may span lines. */
  snippet: string;
  /** What the scanner must report (its first character gives the position). */
  secret: string;
}

/** A random version-4 UUID, the shape of a Railway token. */
export function uuid(r: () => number): string {
  const hex = (n: number) => pick(r, '0123456789abcdef', n);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(r, '89ab', 1)}${hex(3)}-${hex(12)}`;
}

function fake(rule: string, snippet: string, secret = snippet): Fake {
  if (!snippet.includes(secret)) throw new Error(`bad fake for ${rule}`);
  return { rule, snippet, secret };
}

/** One realistic fake per rule; `seed` varies the random parts. */
export function fakes(seed = 1): Fake[] {
  const r = rng(seed);
  const gh = (p: string) => checksummedToken('gh' + p, r);
  const pemBody = Array.from({ length: 12 }, () => pick(r, B64, 64)).join('\n');
  const pem = [
    '-----BEGIN ' + 'RSA PRIVATE KEY-----',
    'MIIEow' + pemBody,
    '-----END ' + 'RSA PRIVATE KEY-----',
  ].join('\n');
  const gcpKey = '-----BEGIN ' + 'PRIVATE KEY-----\\nMIIEvQ' + pick(r, B64, 64) + '\\n' + pick(r, B64, 64);
  const gcp = [
    '{',
    '  "type": "service' + '_account",',
    '  "project_id": "demo-project",',
    '  "private_key_id": "' + pick(r, '0123456789abcdef', 40) + '",',
    '  "private' + '_key": "' + gcpKey + '\\n-----END PRIVATE KEY-----\\n",',
    '  "client_email": "bot@demo-project.iam.gserviceaccount.com"',
    '}',
  ].join('\n');
  const awsSecret = pick(r, B64, 36) + 'aZ3/';
  const jwt =
    b64url('{"alg":"HS256","typ":"JWT"}') +
    '.' +
    b64url(`{"sub":"${pick(r, ALNUM, 12)}","iat":1716239022}`) +
    '.' +
    pick(r, B64URL, 43);
  const dbPassword = pick(r, ALNUM, 20);
  const generic = pick(r, ALNUM, 28) + '9x';
  const railway = uuid(r);
  return [
    fake('anthropic-api-key', 'sk-ant-' + 'api03-' + pick(r, B64URL, 93) + 'AA'),
    fake('anthropic-admin-key', 'sk-ant-' + 'admin01-' + pick(r, B64URL, 93) + 'AA'),
    fake('openai-project-key', 'sk-' + 'proj-' + pick(r, B64URL, 74) + 'T3Blbk' + 'FJ' + pick(r, B64URL, 74)),
    fake(
      'openai-service-account-key',
      'sk-' + 'svcacct-' + pick(r, B64URL, 74) + 'T3Blbk' + 'FJ' + pick(r, B64URL, 74),
    ),
    fake('openai-admin-key', 'sk-' + 'admin-' + pick(r, B64URL, 74) + 'T3Blbk' + 'FJ' + pick(r, B64URL, 74)),
    fake('openai-legacy-key', 'sk-' + pick(r, ALNUM, 20) + 'T3Blbk' + 'FJ' + pick(r, ALNUM, 20)),
    fake('github-pat', gh('p')),
    fake('github-oauth-token', gh('o')),
    fake('github-user-token', gh('u')),
    fake('github-server-token', gh('s')),
    fake('github-refresh-token', gh('r')),
    fake('github-fine-grained-pat', 'github' + '_pat_' + pick(r, ALNUM, 22) + '_' + pick(r, ALNUM, 59)),
    fake('aws-access-key-id', 'AK' + 'IA' + pick(r, BASE32, 16)),
    fake('aws-secret-access-key', 'aws_secret_access_key = ' + awsSecret, awsSecret),
    fake(
      'slack-token',
      'xo' + 'xb-' + pick(r, DIGITS, 12) + '-' + pick(r, DIGITS, 13) + '-' + pick(r, ALNUM, 24),
    ),
    fake(
      'slack-app-token',
      'xa' + 'pp-1-' + pick(r, UPPER_ALNUM, 11) + '-' + pick(r, DIGITS, 13) + '-' + pick(r, LOWER_ALNUM, 64),
    ),
    fake(
      'slack-webhook',
      'https://hooks.' +
        'slack.com/services/T' +
        pick(r, UPPER_ALNUM, 10) +
        '/B' +
        pick(r, UPPER_ALNUM, 10) +
        '/' +
        pick(r, ALNUM, 24),
    ),
    fake('stripe-secret-key', 'sk' + '_live_' + pick(r, ALNUM, 99)),
    fake('stripe-restricted-key', 'rk' + '_live_' + pick(r, ALNUM, 99)),
    fake('google-api-key', 'AI' + 'za' + pick(r, B64URL, 35)),
    fake('npm-token', checksummedToken('npm', r)),
    fake('huggingface-token', 'hf' + '_' + pick(r, LETTERS, 34)),
    fake('sendgrid-api-key', 'SG' + '.' + pick(r, B64URL, 22) + '.' + pick(r, B64URL, 43)),
    fake(
      'discord-webhook',
      'https://discord.com/api/' + 'webhooks/' + pick(r, DIGITS, 18) + '/' + pick(r, B64URL, 68),
    ),
    fake('gcp-service-account', gcp, gcpKey),
    fake('private-key', pem, pem.slice(0, pem.lastIndexOf('\n'))),
    fake('jwt', jwt),
    fake('connection-string-password', `postgres://app_user:${dbPassword}@db.internal:5432/app`, dbPassword),
    fake('generic-secret', `api_key = "${generic}"`, generic),
    fake('railway-token', `RAILWAY_TOKEN=${railway}`, railway),
  ];
}
