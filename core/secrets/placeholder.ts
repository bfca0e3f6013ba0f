// Placeholder and look-alike detection: documentation values, variables, hashes and ids that are not secrets.

/** Substrings (lower-case) that mark a value as an example rather than a credential. */
const PLACEHOLDER_WORDS = [
  'example',
  '****',
  '....',
  '…',
  'dummy',
  'placeholder',
  'changeme',
  'change_me',
  'change-me',
  'your-',
  'your_',
  'yourkey',
  'yourtoken',
  'yoursecret',
  'yourpassword',
  'redacted',
  'sample',
  'replace_me',
  'replace-me',
  'replaceme',
  'insert',
  'notreal',
  'not-a-real',
  'not_a_real',
  '0000000',
  '1234567',
  'abcdefg',
];

/** Whole values (lower-case) that only ever appear as stand-ins, e.g. `postgres://user:password@host`. */
const STAND_IN_VALUES = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'pw',
  'secret',
  'token',
  'apikey',
  'api_key',
  'admin',
  'root',
  'test',
  'guest',
  'user',
  'username',
  'postgres',
  'mysql',
  'redis',
  'mongo',
  'rabbitmq',
  'default',
  'none',
  'null',
  'undefined',
  'true',
  'false',
  'mypassword',
  'mysecret',
  'mysecretpassword',
  'secretpassword',
  'p@ssw0rd',
  'p@ssword',
  'password1',
  'password123',
  'letmein',
  'hunter2',
  'foobar',
  'foo',
  'bar',
  'baz',
  'qwerty',
]);

/** Template and variable syntaxes: `$VAR`, `${VAR}`, `${{ secrets.X }}`, `{{ x }}`, `%(x)s`, `<your-key>`, `process.env.X`. */
const VARIABLE_RE =
  /^(?:\$|%\(|%[sd]$|\{|<|\[|@\{)|(?:process\.env|os\.environ|os\.getenv|getenv\(|ENV\[|secrets\.|env\.|vault:|ssm:|arn:aws)/i;

export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (STAND_IN_VALUES.has(lower)) return true;
  if (VARIABLE_RE.test(value)) return true;
  for (const word of PLACEHOLDER_WORDS) if (lower.includes(word)) return true;
  // Case-sensitive: random tokens contain `xXxX` now and then; placeholders write `xxxx` or `XXXX`.
  if (value.includes('xxxx') || value.includes('XXXX')) return true;
  // A run of one repeated character (`aaaaaa`, `------`) is filler, never randomness.
  if (/(.)\1{5}/.test(value)) return true;
  // Very few distinct characters means a pattern, not a key.
  return new Set(value).size <= 3;
}

const HEX_RE = /^[0-9a-f]+$/i;
const HASH_HEX_LENGTHS = new Set([32, 40, 56, 64, 96, 128]);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGRITY_RE = /^(?:sha1|sha256|sha384|sha512|md5)[-:]/i;
/** `config.apiKey`, `snake_case`, `camelCase2`, `UPPER_SNAKE`: code naming a secret, not the secret itself. */
const IDENTIFIER_RES = [
  /^(?:[A-Za-z_$][A-Za-z0-9_$]*\.)+[A-Za-z_$][A-Za-z0-9_$]*(?:\(\))?$/,
  /^[a-z]+(?:[A-Z][a-z]+)*[0-9]{0,3}$/,
  /^[A-Za-z][a-z]*(?:[_.-][A-Za-z][a-z]*)*[0-9]{0,3}$/,
  /^[A-Z]+(?:_[A-Z0-9]+)*$/,
];

/** Git SHAs and digests (hex of a hash length), UUIDs, SRI/npm integrity strings. */
export function isHashOrId(value: string): boolean {
  if (HEX_RE.test(value) && HASH_HEX_LENGTHS.has(value.length)) return true;
  return UUID_RE.test(value) || INTEGRITY_RE.test(value);
}

export function isIdentifierLike(value: string): boolean {
  return IDENTIFIER_RES.some((re) => re.test(value));
}

/**
 * `./config/token.txt`, `/run/secrets/db`, `https://…`: where a secret lives, not the secret. Random base64 can
 * start with `/` too, but it mixes upper case, lower case and digits, which paths and URLs almost never do.
 */
export function isPathOrUrl(value: string): boolean {
  if (!/^(?:\.{0,2}\/|~\/|[a-z][a-z0-9+.-]*:\/\/)/i.test(value)) return false;
  return !(/[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value));
}
