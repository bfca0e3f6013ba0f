// Secret scanner quietness: placeholders, variables, hashes, ids, integrity strings and data URIs are not secrets.
import { describe, expect, it } from 'vitest';
import { scanText } from '../../core/secrets/scan.js';
import { pick, rng } from './fakes.js';

const r = rng(7);
const hex = (n: number) => pick(r, '0123456789abcdef', n);
const b64 = (n: number) => pick(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', n);

const placeholders: Record<string, string> = {
  'truncated anthropic key': 'export ANTHROPIC_API_KEY=sk-ant-...',
  'truncated anthropic api03 key': 'ANTHROPIC_API_KEY="sk-ant-api03-..."',
  '<your-key>': 'export OPENAI_API_KEY=<your-key>',
  '<your-api-key>': 'api_key: <your-api-key>',
  'actions secret': 'token: ${{ secrets.GITHUB_TOKEN }}',
  'actions secret in env': 'GH_TOKEN: ${{ secrets.DEPLOY_TOKEN }}',
  $VAR: 'password=$DB_PASSWORD',
  '${VAR}': 'password: "${DB_PASSWORD}"',
  'process.env': 'const apiKey = process.env.OPENAI_API_KEY;',
  'os.environ': 'token = os.environ["GITHUB_TOKEN"]',
  'AWS example key id': 'aws_access_key_id = AKIA' + 'IOSFODNN7EXAMPLE',
  'AWS example secret': 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'EXAMPLEKEY',
  'x-filled github token': 'GITHUB_TOKEN=gh' + 'p_' + 'x'.repeat(36),
  'X-filled openai key': 'OPENAI_API_KEY=sk-' + 'proj-' + 'X'.repeat(60),
  'starred token': 'token: "' + '*'.repeat(24) + '"',
  'xxxx password': 'password = "xxxxxxxxxxxxxxxx"',
  'your-token-here': 'token: your-token-here',
  changeme: 'secret: changeme',
  'example value': 'api_key = "example-key-1234567890abc"',
  'dummy value': 'token = "dummy-token-value-0123"',
  'placeholder value': 'secret_key: "placeholder-Value-123456"',
  'connection string with stand-in password': 'DATABASE_URL=postgres://user:password@localhost:5432/app',
  'connection string pass': 'postgres://user:pass@host/db',
  'connection string with variables': 'mongodb://${MONGO_USER}:${MONGO_PASS}@mongo:27017',
  'connection string user = password': 'redis://default:default@cache:6379',
  'PEM header with no body': '-----BEGIN ' + 'PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
  'PEM with placeholder body':
    '-----BEGIN ' + 'RSA PRIVATE KEY-----\n<your private key here>\n-----END RSA PRIVATE KEY-----',
  'slack example webhook': 'https://hooks.' + 'slack.com/services/T00000000/B00000000/' + 'X'.repeat(24),
  'slack token placeholder': 'SLACK_BOT_TOKEN=xo' + 'xb-your-bot-token',
  'jwt truncated': 'Authorization: Bearer eyJhbGciOiJIUzI1NiIs...',
  'generic code reference': 'api_key = config.get_api_key()',
  'generic identifier': 'token: accessTokenValue',
  'generic upper snake': 'secret: MY_APP_SECRET_NAME',
  'short password': 'password: hunter2',
  'prose about tokens': 'The token: it is read from the environment and the secret = never logged.',
};

const lookAlikes: Record<string, string> = {
  'git SHA-1': 'commit ' + hex(40),
  'git SHA-1 in a token-named field': 'secret_sha: ' + hex(40),
  'SHA-256 digest as a token': 'token_hash = "' + hex(64) + '"',
  'SHA-1 assigned to an aws secret digest': 'aws_secret_digest = ' + hex(40),
  'md5 as api key id': 'api_key_md5: ' + hex(32),
  UUID: 'request 123e4567-e89b-12d3-a456-426614174000',
  'UUID as token': 'token = "' + '550e8400-e29b-41d4-a716-446655440000' + '"',
  'npm integrity': '"integrity": "sha512-' + b64(86) + '=="',
  'integrity under a token-like key': 'tokenIntegrity: sha512-' + b64(86) + '==',
  'random ghp look-alike (bad checksum)':
    'gh' + 'p_' + pick(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 36),
  'random npm look-alike (bad checksum)':
    'np' + 'm_' + pick(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 36),
  'jwt.io sample token':
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.' +
    'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'not-a-jwt eyJ run':
    'eyJ' + b64(20).replace(/[+/]/g, 'a') + '.eyJ' + 'abcdefghijkl' + '.' + 'x1y2z3'.repeat(4),
};

/** Data URIs with embedded look-alikes of key formats (base64 can contain `AIza…` or `AKIA…` runs by chance). */
function dataUri(): string {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const googleLike = 'AI' + 'za' + pick(r, alnum, 35);
  const awsLike = 'AK' + 'IA' + pick(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);
  return `![logo](data:image/png;base64,${b64(3000)}/${googleLike}/${b64(500)}+${awsLike}+${b64(2000)}==)`;
}

describe('the scanner stays quiet', () => {
  for (const [name, line] of Object.entries(placeholders)) {
    it(`on placeholder: ${name}`, () => {
      expect(scanText(`# Setup\n\n\`\`\`bash\n${line}\n\`\`\`\n${line}\n`, 'SKILL.md')).toEqual([]);
    });
  }

  for (const [name, line] of Object.entries(lookAlikes)) {
    it(`on ${name}`, () => {
      expect(scanText(`x\n${line}\n`, 'notes.md')).toEqual([]);
    });
  }

  it('on data URIs, even when their base64 contains key-shaped runs', () => {
    const uri = dataUri();
    expect(scanText(uri, 'README.md')).toEqual([]);
    // Control: the same look-alike outside a data URI is reported, so the quietness above is the URI's doing.
    const outside = uri.replace('data:image/png;base64,', 'see ');
    expect(scanText(outside, 'README.md').length).toBeGreaterThan(0);
  });

  it('on an ordinary skill', () => {
    const skill = [
      '---',
      'name: release-notes',
      'description: Use this skill when: the user asks for release notes',
      'version: 1.2.0',
      '---',
      '# Release notes',
      'Read the token from `$GITHUB_TOKEN` and never print it. The API key lives in the vault.',
      '```yaml',
      'env:',
      '  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}',
      '  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}',
      '```',
      'See https://docs.github.com/en/rest and commit 0123abcd.',
    ].join('\n');
    expect(scanText(skill, 'skills/release-notes/SKILL.md')).toEqual([]);
  });
});
