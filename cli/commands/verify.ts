// `skill-sync verify --bundle FILE --envelope FILE (--public-key K | --hmac-secret-env VAR | --keyless)`: check a release.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BundleError } from '../../core/bundle/index.js';
import { unpackBundle } from '../../receiver/io/unpack.js';
import { sha256File } from '../../core/digest.js';
import { EnvelopeError, KeyError, parseVerifyKeys, type VerifyKey } from '../../core/envelope/index.js';
import { OidcVerifier } from '../../core/envelope/oidc-verify.js';
import { verifyRelease } from '../../core/envelope/verify.js';
import { admitRelease } from '../../receiver/admission.js';
import { ConfigError } from '../../receiver/env.js';
import { loadOidcPolicy } from '../../receiver/oidc-config.js';
import { Refusal } from '../../receiver/refusal.js';
import { EXIT, GLOBAL_HELP, parse, printJson, UsageError } from '../args.js';
import { info } from '../output.js';

export const HELP = `usage: skill-sync verify --bundle skills.tar.gz --envelope skills.dsse.json
                          (--public-key FILE|KEY ... | --hmac-secret-env VAR | --keyless) [--unpack-check]

Checks the envelope's signature, then that the bundle's sha256 and size equal the signed ones.
With --keyless, a GitHub OIDC signature is checked against the receiver's SKILL_SYNC_OIDC_* settings
(read from the environment, as the receiver reads them), as the poller checks a stored release: the
token's expiry is forgiven, every other claim is not.

options:
  --bundle FILE           bundle to check (required)
  --envelope FILE         DSSE envelope JSON (required)
  --public-key FILE|KEY   Ed25519 public key: a PEM file, PEM text or ed25519:<base64>; repeatable
  --hmac-secret-env VAR   environment variable holding the HMAC secret
  --keyless               accept a GitHub OIDC signature under SKILL_SYNC_OIDC_* (fetches the issuer's keys)
  --unpack-check          also unpack into a temp folder and verify every file against the manifest
  --json                  print the result as JSON
${GLOBAL_HELP}

exit: 0 verified, 1 refused (with a reason code), 2 usage error (missing file, bad key)`;

/** Max envelope file size: the header form is capped at 16 KiB, the file form gets some slack. */
const MAX_ENVELOPE_BYTES = 64 * 1024;

async function publicKeyText(arg: string): Promise<string> {
  if (arg.startsWith('ed25519:') || arg.includes('-----BEGIN')) return arg;
  const st = await stat(arg).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`--public-key: ${arg} is neither a key nor a readable file`);
  return readFile(arg, 'utf8');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    bundle: { type: 'string' },
    envelope: { type: 'string' },
    'public-key': { type: 'string', multiple: true },
    'hmac-secret-env': { type: 'string' },
    keyless: { type: 'boolean' },
    'unpack-check': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('verify takes no positional arguments');
  if (!values.bundle || !values.envelope) throw new UsageError('--bundle and --envelope are required');
  const pubArgs = values['public-key'] ?? [];
  if (pubArgs.length === 0 && !values['hmac-secret-env'] && !values.keyless) {
    throw new UsageError('give --public-key, --hmac-secret-env or --keyless');
  }
  let keys: VerifyKey[];
  try {
    const publicKeys = (await Promise.all(pubArgs.map(publicKeyText))).join('\n');
    let hmacSecrets: string | undefined;
    if (values['hmac-secret-env']) {
      hmacSecrets = process.env[values['hmac-secret-env']];
      if (!hmacSecrets)
        throw new UsageError(`environment variable ${values['hmac-secret-env']} is empty or unset`);
    }
    keys = parseVerifyKeys({ publicKeys, hmacSecrets });
  } catch (err) {
    if (err instanceof KeyError) throw new UsageError(err.message);
    throw err;
  }
  let oidc: OidcVerifier | undefined;
  if (values.keyless) {
    try {
      const policy = loadOidcPolicy(process.env);
      if (!policy) throw new UsageError('--keyless needs SKILL_SYNC_OIDC_REPOSITORY (docs/receiver.md)');
      oidc = new OidcVerifier(policy);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }

  try {
    const envStat = await stat(values.envelope);
    if (envStat.size > MAX_ENVELOPE_BYTES) throw new Refusal('malformed', 'envelope file is too large');
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(values.envelope, 'utf8'));
    } catch {
      throw new Refusal('malformed', 'envelope is not JSON');
    }
    // The receiver's verification; 'poll' because a stored release's token has long expired.
    const payload = await verifyRelease(doc, { keys, oidc }, 'poll');
    const { sha256, size } = await sha256File(values.bundle);
    // The receiver's admission rule, without a receiver's policy or state: the bundle against the envelope.
    admitRelease(payload, undefined, { bundle: { size, sha256 } });
    let unpacked: number | undefined;
    if (values['unpack-check']) {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-verify-'));
      try {
        const manifest = await unpackBundle(values.bundle, path.join(tmp, 'staging'));
        unpacked = manifest.skills.length;
        if (unpacked !== payload.skills) {
          throw new Refusal(
            'skills-mismatch',
            `bundle has ${unpacked} skills, envelope says ${payload.skills}`,
          );
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    if (values.json) printJson({ ok: true, payload, unpackChecked: unpacked !== undefined });
    else {
      info(
        `verified ${values.bundle}\n  serial ${payload.serial}\n  sha256 ${sha256}\n  repository ${payload.repository} ${payload.ref} ${payload.commit}\n  skills ${payload.skills}${unpacked !== undefined ? ' (unpacked and checked)' : ''}\n`,
      );
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof Refusal || err instanceof EnvelopeError || err instanceof BundleError) {
      const code = err.code;
      const message = err instanceof Refusal ? err.message : err.message.replace(`${code}: `, '');
      if (values.json) printJson({ ok: false, code, message });
      process.stderr.write(`skill-sync verify: refused (${code}): ${message}\n`);
      return EXIT.findings;
    }
    throw err;
  }
}
