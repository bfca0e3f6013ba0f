// Secret rules: provider credential formats (prefix, charset, length, checksum) with the keywords that gate them.
import { hasValidBase62Checksum } from './checksum.js';
import { classCount, shannonEntropy } from './entropy.js';
import { isHashOrId, isIdentifierLike, isPathOrUrl, isPlaceholder } from './placeholder.js';

/** Decides whether a regex hit is a credential; may widen it (PEM bodies). Returns the secret or null. */
export type Verify = (secret: string, text: string, start: number) => string | null;

export interface SecretRule {
  /** Provider id; findings carry `secret/<id>`. */
  id: string;
  /** Human name used in messages, e.g. "GitHub personal access token". */
  name: string;
  description: string;
  /** The regex runs only if one of these literals occurs in the text: the cheap prefilter. Each must be a piece of
   * every possible match. */
  keywords: readonly string[];
  /**
   * Global regex run over the whole text, or (with `anchored`) a sticky regex tried only where an anchor literal
   * occurs. Every quantifier is capped and none is nested, so matching time stays linear.
   */
  pattern: RegExp;
  /**
   * The pattern is sticky (`y`) and starts with one of the keywords: the engine finds keywords with `indexOf`
   * (memchr-fast) and runs the regex only there. For rules whose keywords are common words (`token`, `secret`),
   * this beats one case-insensitive regex scanning every character.
   */
  anchored?: boolean;
  /** Capture group holding the secret (the regex needs the `d` flag); the whole match otherwise. */
  group?: number;
  verify?: Verify;
}

/** Characters that continue a token: a hit must not start or end inside a longer word. */
const B = '(?<![A-Za-z0-9_-])';
const E = '(?![A-Za-z0-9_-])';

function randomLooking(minEntropy: number): Verify {
  return (secret) => (!isPlaceholder(secret) && shannonEntropy(secret) >= minEntropy ? secret : null);
}

function checksummed(prefixLength: number): Verify {
  return (secret) =>
    hasValidBase62Checksum(secret.slice(prefixLength)) && !isPlaceholder(secret.slice(prefixLength))
      ? secret
      : null;
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61
  );
}

const PEM_HEADER_LINE = /^[A-Za-z-]{2,40}: [^\n\\]{0,200}/;

/**
 * Walks a PEM block past its `Proc-Type:`-style header lines and its base64 body (raw lines or `\n` escapes in a
 * JSON/code string). Requires a real body, so `-----BEGIN PRIVATE KEY-----\n...` in docs stays quiet.
 */
const verifyPem: Verify = (header, text, start) => {
  const limit = Math.min(text.length, start + header.length + 20_000);
  let i = start + header.length;
  let bodyEnd = -1;
  let count = 0;
  let sample = '';
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || c === 32 || c === 9) {
      i++;
    } else if (c === 92 && (text[i + 1] === 'n' || text[i + 1] === 'r')) {
      i += 2;
    } else if (isBase64Char(c)) {
      const headerLine = bodyEnd < 0 ? PEM_HEADER_LINE.exec(text.slice(i, i + 250)) : null;
      if (headerLine) {
        i += headerLine[0].length;
        continue;
      }
      if (sample.length < 256) sample += text[i];
      count++;
      bodyEnd = ++i;
    } else {
      break;
    }
  }
  // Entropy, not isPlaceholder: real DER bodies contain long `AAAA` runs (OpenSSH keys especially), and a filler
  // body (`xxxx…`, `AAAA…`) has almost none.
  if (count < 64 || shannonEntropy(sample) < 4) return null;
  return text.slice(start, bodyEnd);
};

/** A JWT's header must decode to JSON naming an algorithm; the jwt.io sample token stays quiet. */
const verifyJwt: Verify = (secret) => {
  const [header, payload] = secret.split('.');
  try {
    const h = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof h !== 'object' || h === null || typeof (h as { alg?: unknown }).alg !== 'string') return null;
    if (
      Buffer.from(payload ?? '', 'base64url')
        .toString('utf8')
        .includes('"John Doe"')
    )
      return null;
  } catch {
    return null;
  }
  return secret;
};

const DB_SCHEME =
  /(?<![A-Za-z0-9+.-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|neo4j(?:\+s|\+ssc)?|bolt|ldaps?|smtps?|ftps?|sftp|couchdb|elasticsearch|nats|kafka)(?:\+[a-z0-9]{1,20}|:[a-z]{1,20})?$/i;

/**
 * A connection-string password. The regex anchors on `://` (fast to find); the scheme is checked here, looking back.
 * Stand-ins stay quiet: `password`, `${DB_PASS}`, `****`, or the user name repeated (`postgres:postgres`).
 */
const verifyUrlPassword: Verify = (password, text, start) => {
  const schemeEnd = text.lastIndexOf('://', start);
  if (schemeEnd < 0 || !DB_SCHEME.test(text.slice(Math.max(0, schemeEnd - 40), schemeEnd))) return null;
  const user = text.slice(schemeEnd + 3, start - 1);
  if (password === user || isPlaceholder(password)) return null;
  if (/^[*x.•]+$/i.test(password) || /^%[0-9A-F]{2}$/i.test(password)) return null;
  return password;
};

/** Values assigned to `password`/`secret`/`token`/`api_key` must look random, not like code or docs. */
function verifyAssignedValue(minEntropy: number, minLength: number): Verify {
  return (value) => {
    if (value.length < minLength || isPlaceholder(value) || isHashOrId(value)) return null;
    if (isIdentifierLike(value) || isPathOrUrl(value)) return null;
    if (shannonEntropy(value) < minEntropy) return null;
    const classes = classCount(value);
    if (classes < 2 || (classes === 2 && /^[A-Za-z]+$/.test(value))) return null;
    return value;
  };
}

/** Quote, separator and opening quote between a variable's name and its value: `.env`, shell, YAML, JSON. */
const ASSIGN = String.raw`["'\]]?\s{0,5}(?::=|=|:)\s{0,5}["']?`;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const HEX_OR_UUID = new RegExp(`^(?:[0-9a-fA-F]{32,128}|${UUID})$`);
/** The name just before a value ends in `_SECRET`, `-token`, `_API_KEY` … (not `SECRET_SHA`, not a bare `token`). */
const SECRET_NAME_BEFORE =
  /[_-](?:secret|token|api[_-]?key)["'\]]?\s{0,5}(?::=|=>|\|\|=|[:=])\s{0,5}(?:["'`]|b["'])?$/i;

/**
 * A hex string or UUID assigned to a secret-named variable: random, not a filler like `0000…` or `deadbeef…`.
 * Git SHAs and digests look the same, so only the name (`*_SECRET`, `*_TOKEN`, `*_API_KEY`) tells them apart.
 */
const verifyAssignedHexOrUuid: Verify = (value) => {
  if (isPlaceholder(value)) return null;
  const digits = value.replace(/-/g, '');
  return shannonEntropy(digits) >= 3 && new Set(digits.toLowerCase()).size >= 10 ? value : null;
};

const verifyRandomAssigned = verifyAssignedValue(3.5, 12);

/**
 * generic-secret: a random-looking value; or a hex string or UUID, which is a secret only under a secret-named
 * variable (`GITHUB_WEBHOOK_SECRET=<64 hex>`). Checked here, on the same match, so the scan costs nothing more.
 */
const verifyGenericSecret: Verify = (value, text, start) => {
  const random = verifyRandomAssigned(value, text, start);
  if (random !== null || !HEX_OR_UUID.test(value)) return random;
  if (!SECRET_NAME_BEFORE.test(text.slice(Math.max(0, start - 60), start))) return null;
  return verifyAssignedHexOrUuid(value, text, start);
};

const verifyAwsSecret: Verify = (value) => {
  if (/^[0-9a-f]+$/i.test(value) || isPlaceholder(value) || isIdentifierLike(value) || isPathOrUrl(value))
    return null;
  return shannonEntropy(value) >= 4 && classCount(value) >= 3 ? value : null;
};

function githubToken(prefix: string, id: string, name: string): SecretRule {
  return {
    id,
    name,
    description: `${name} (\`${prefix}_\` + 30 base62 characters + CRC32 checksum)`,
    keywords: [`${prefix}_`],
    pattern: new RegExp(`${B}${prefix}_[A-Za-z0-9]{36}${E}`, 'g'),
    verify: checksummed(prefix.length + 1),
  };
}

/**
 * `anchor` is the prefilter literal: a short (< 7 chars, so V8 uses its memchr path) piece of the prefix that starts
 * with a character rare in prose and code, e.g. `k-proj` rather than `sk-proj-`.
 */
function prefixed(
  id: string,
  name: string,
  prefix: string,
  anchor: string,
  body: string,
  minEntropy = 3.5,
): SecretRule {
  return {
    id,
    name,
    description: `${name} (\`${prefix}…\`)`,
    keywords: [anchor],
    pattern: new RegExp(`${B}${body}${E}`, 'g'),
    verify: randomLooking(minEntropy),
  };
}

/** In priority order: when two rules hit the same characters, the earlier (more specific) one reports. */
export const rules: readonly SecretRule[] = [
  prefixed(
    'anthropic-api-key',
    'Anthropic API key',
    'sk-ant-api03-',
    'k-ant-',
    'sk-ant-api03-[A-Za-z0-9_-]{80,120}',
  ),
  prefixed(
    'anthropic-admin-key',
    'Anthropic admin key',
    'sk-ant-admin01-',
    'k-ant-',
    'sk-ant-admin01-[A-Za-z0-9_-]{80,120}',
  ),
  prefixed(
    'openai-project-key',
    'OpenAI project API key',
    'sk-proj-',
    'k-proj',
    'sk-proj-[A-Za-z0-9_-]{40,250}',
  ),
  prefixed(
    'openai-service-account-key',
    'OpenAI service-account key',
    'sk-svcacct-',
    'k-svca',
    'sk-svcacct-[A-Za-z0-9_-]{40,250}',
  ),
  prefixed('openai-admin-key', 'OpenAI admin key', 'sk-admin-', 'k-admi', 'sk-admin-[A-Za-z0-9_-]{40,250}'),
  {
    ...prefixed(
      'openai-legacy-key',
      'OpenAI API key',
      'sk-',
      'BlbkFJ',
      'sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}',
    ),
    description: 'OpenAI legacy API key (`sk-` + 48 characters containing `T3BlbkFJ`)',
  },
  githubToken('ghp', 'github-pat', 'GitHub personal access token'),
  githubToken('gho', 'github-oauth-token', 'GitHub OAuth access token'),
  githubToken('ghu', 'github-user-token', 'GitHub user-to-server token'),
  githubToken('ghs', 'github-server-token', 'GitHub server-to-server token'),
  githubToken('ghr', 'github-refresh-token', 'GitHub refresh token'),
  prefixed(
    'github-fine-grained-pat',
    'GitHub fine-grained personal access token',
    'github_pat_',
    'b_pat_',
    'github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}',
  ),
  {
    id: 'aws-access-key-id',
    name: 'AWS access key id',
    description: 'AWS access key id (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 base32 characters)',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
    verify: (s) => (isPlaceholder(s.slice(4)) || shannonEntropy(s.slice(4)) < 2.5 ? null : s),
  },
  {
    id: 'slack-token',
    name: 'Slack token',
    description:
      'Slack bot/user/app-level token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-`)',
    keywords: ['xox'],
    pattern: new RegExp(`${B}xox[abposre]-[0-9]{6,15}-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9_-])`, 'g'),
    verify: randomLooking(3.2),
  },
  {
    id: 'slack-app-token',
    name: 'Slack app-level token',
    description: 'Slack app-level token (`xapp-1-…`)',
    keywords: ['xapp-'],
    pattern: new RegExp(`${B}xapp-[0-9]-[A-Z0-9]{8,15}-[0-9]{8,15}-[a-z0-9]{32,80}${E}`, 'g'),
    verify: randomLooking(3.2),
  },
  {
    id: 'slack-webhook',
    name: 'Slack webhook URL',
    description: 'Slack incoming-webhook or workflow URL (`https://hooks.slack.com/services/T…/B…/…`)',
    keywords: ['k.com/'],
    pattern:
      /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,12}\/[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,40}(?![A-Za-z0-9])/g,
    verify: (url) => (isPlaceholder(url.slice(url.lastIndexOf('/') + 1)) ? null : url),
  },
  prefixed(
    'stripe-secret-key',
    'Stripe live secret key',
    'sk_live_',
    '_live_',
    'sk_live_[A-Za-z0-9]{20,247}',
  ),
  prefixed(
    'stripe-restricted-key',
    'Stripe live restricted key',
    'rk_live_',
    '_live_',
    'rk_live_[A-Za-z0-9]{20,247}',
  ),
  prefixed('google-api-key', 'Google API key', 'AIza', 'AIza', 'AIza[0-9A-Za-z_-]{35}', 3.2),
  {
    ...prefixed('npm-token', 'npm access token', 'npm_', 'pm_', 'npm_[A-Za-z0-9]{36}'),
    verify: checksummed(4),
  },
  prefixed('huggingface-token', 'Hugging Face access token', 'hf_', 'f_', 'hf_[A-Za-z0-9]{34,40}'),
  prefixed(
    'sendgrid-api-key',
    'SendGrid API key',
    'SG.',
    'SG.',
    'SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}',
  ),
  {
    id: 'discord-webhook',
    name: 'Discord webhook URL',
    description: 'Discord webhook URL (`https://discord.com/api/webhooks/<id>/<token>`)',
    keywords: ['bhooks'],
    pattern:
      /https?:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/webhooks\/[0-9]{17,20}\/[A-Za-z0-9_-]{60,80}(?![A-Za-z0-9_-])/g,
    verify: (url) => (isPlaceholder(url.slice(url.lastIndexOf('/') + 1)) ? null : url),
  },
  {
    id: 'gcp-service-account',
    name: 'Google Cloud service-account key',
    description: 'Google Cloud service-account JSON (`"type": "service_account"` with a `"private_key"`)',
    keywords: ['vice_a'],
    pattern: /"private_key"\s{0,10}:\s{0,10}"(-----BEGIN[^"]{20,12000})"/dg,
    group: 1,
    verify: (secret, text, start) =>
      /"type"\s{0,10}:\s{0,10}"service_account"/.test(text)
        ? verifyPem(secret.slice(0, secret.indexOf('-----', 10) + 5), text, start)
        : null,
  },
  {
    id: 'private-key',
    name: 'Private key',
    description: 'PEM/OpenSSH/PGP private key block (`-----BEGIN … PRIVATE KEY-----` with a body)',
    keywords: ['PRIVAT'],
    pattern: /-----BEGIN[ A-Z0-9]{0,40} PRIVATE KEY(?: BLOCK)?-----/g,
    verify: verifyPem,
  },
  {
    id: 'jwt',
    name: 'JSON Web Token',
    description: 'Signed JSON Web Token (`eyJ….eyJ….<signature>`)',
    keywords: ['yJ'],
    pattern: new RegExp(
      `${B}eyJ[A-Za-z0-9_-]{10,4000}\\.eyJ[A-Za-z0-9_-]{10,8000}\\.[A-Za-z0-9_-]{16,2000}${E}`,
      'g',
    ),
    verify: verifyJwt,
  },
  {
    id: 'connection-string-password',
    name: 'Password in a connection string',
    description:
      'Password in a database/broker URL (`postgres://user:pass@host`, mongodb, mysql, redis, amqp, …)',
    keywords: ['://'],
    anchored: true,
    pattern: /:\/\/([^\s:@/'"`<>]{1,256}):([^\s@/'"`<>]{1,256})@[A-Za-z0-9[]/dy,
    group: 2,
    verify: verifyUrlPassword,
  },
  {
    id: 'aws-secret-access-key',
    name: 'AWS secret access key',
    description: 'AWS secret access key (40 base64 characters assigned to an `aws`/`secret` name)',
    keywords: ['cret', 'CRET', 'ws', 'WS'],
    anchored: true,
    pattern:
      /(?:(?<=se)cret|(?<=a)ws)[A-Za-z0-9_.-]{0,30}["'\]]?\s{0,5}(?::|=|:=|=>|,)\s{0,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/diy,
    group: 1,
    verify: verifyAwsSecret,
  },
  {
    id: 'railway-token',
    name: 'Railway token',
    description:
      'Railway project or account token (a UUID assigned to `RAILWAY_TOKEN`, `RAILWAY_API_TOKEN`, …)',
    keywords: ['RAILWAY', 'railway', 'Railway'],
    anchored: true,
    pattern: new RegExp(`railway[A-Za-z0-9_-]{0,30}(?:token|key)${ASSIGN}(${UUID})${E}`, 'diy'),
    group: 1,
    verify: verifyAssignedHexOrUuid,
  },
  {
    id: 'generic-secret',
    name: 'High-entropy secret',
    description:
      'High-entropy value assigned to a `password`/`secret`/`token`/`api_key`-like name, or a hex string or UUID ' +
      'assigned to a `*_SECRET`, `*_TOKEN` or `*_API_KEY` variable',
    // Rare-letter pieces of each name in lower and upper case (`to|ken`, `se|cret`, `pa|ssw|ord`, `api_|key`, …); the
    // lookbehinds check the rest of the name.
    keywords: [
      'ken',
      'KEN',
      'cret',
      'CRET',
      'ssw',
      'SSW',
      'wd',
      'WD',
      'ssph',
      'SSPH',
      'key',
      'Key',
      'KEY',
      'cred',
      'Cred',
      'CRED',
    ],
    anchored: true,
    pattern:
      /(?:(?<=to)ken|(?<=se)cret|(?<=pa)ssw(?:or)?d|(?<=p)wd|(?<=pa)ssphrase|(?<=(?:api|access|auth)[_-]?)key|cred(?:entials?)?)[A-Za-z0-9_.-]{0,40}["'\]]?\s{0,5}(?::=|=>|\|\|=|[:=])\s{0,5}(?:["'`]|b["'])?([A-Za-z0-9+/=_.~!@#%^&*?-]{8,200})(?![A-Za-z0-9+/=_.~!@#%^&*?-])/diy,
    group: 1,
    verify: verifyGenericSecret,
  },
];

/** For docs and `--list-rules`: every rule's finding id and what it detects. */
export const secretRules: readonly { id: string; description: string }[] = rules.map((r) => ({
  id: `secret/${r.id}`,
  description: r.description,
}));
