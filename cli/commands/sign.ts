// `skill-sync sign --bundle FILE --key FILE|--key-env VAR --out FILE`: sign a bundle into a DSSE envelope.
import { readFile } from 'node:fs/promises';
import { readBundleManifest } from '../../core/bundle/index.js';
import { sha256File } from '../../core/digest.js';
import { nextSerial, parseSigningKey, signEnvelope } from '../../core/envelope/index.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import type { ReleasePayload, Trigger } from '../../core/payload.js';
import { EXIT, GLOBAL_HELP, parse, printJson, UsageError } from '../args.js';
import { info } from '../output.js';
import { provenance } from '../provenance.js';

const TRIGGERS: readonly Trigger[] = ['push', 'workflow_dispatch', 'schedule', 'cli'];

export const HELP = `usage: skill-sync sign --bundle skills.tar.gz (--key FILE | --key-env VAR) [--out skills.dsse.json]

Signs the bundle's digest, size and provenance into a DSSE envelope with a fresh serial.
The key is an Ed25519 private key (PEM) or an HMAC secret of at least 32 bytes.

options:
  --bundle FILE        bundle to sign (required)
  --key FILE           file holding the signing key
  --key-env VAR        environment variable holding the signing key (e.g. SKILL_SYNC_SIGNING_KEY)
  --out FILE           envelope path (default skills.dsse.json)
  --repository R       default: $GITHUB_REPOSITORY, else git remote origin, else "unknown"
  --ref REF            default: $GITHUB_REF, else the current git branch, else "unknown"
  --commit SHA         default: $GITHUB_SHA, else git HEAD, else "unknown"
  --trigger T          ${TRIGGERS.join(' | ')} (default cli)
  --json               print {out, serial, sha256, size, skills, keyids} as JSON
${GLOBAL_HELP}

exit: 0 signed, 2 usage or config error (missing bundle, unreadable or invalid key)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    bundle: { type: 'string' },
    key: { type: 'string' },
    'key-env': { type: 'string' },
    out: { type: 'string' },
    repository: { type: 'string' },
    ref: { type: 'string' },
    commit: { type: 'string' },
    trigger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('sign takes no positional arguments');
  if (!values.bundle) throw new UsageError('--bundle is required');
  if (!values.key === !values['key-env'])
    throw new UsageError('give exactly one of --key FILE or --key-env VAR');
  const trigger = (values.trigger ?? 'cli') as Trigger;
  if (!TRIGGERS.includes(trigger)) throw new UsageError(`--trigger must be one of ${TRIGGERS.join(', ')}`);

  let keyText: string;
  if (values.key) {
    keyText = await readFile(values.key, 'utf8').catch(() => {
      throw new UsageError(`cannot read key file ${values.key}`);
    });
  } else {
    const v = process.env[values['key-env']!];
    if (!v) throw new UsageError(`environment variable ${values['key-env']} is empty or unset`);
    keyText = v;
  }
  let key;
  try {
    key = parseSigningKey(keyText);
  } catch (err) {
    throw new UsageError((err as Error).message); // KeyError messages never contain the key
  }

  const manifest = await readBundleManifest(values.bundle);
  const { sha256, size } = await sha256File(values.bundle);
  const payload: ReleasePayload = {
    v: 1,
    ...provenance('.', values),
    serial: nextSerial(),
    createdAt: new Date().toISOString(),
    trigger,
    bundle: { sha256, size },
    skills: manifest.skills.length,
  };
  const envelope = signEnvelope(payload, [key]);
  const out = values.out ?? 'skills.dsse.json';
  await writeFileAtomic(out, JSON.stringify(envelope, null, 2) + '\n');
  if (values.json) {
    printJson({ out, serial: payload.serial, sha256, size, skills: payload.skills, keyids: [key.keyid] });
  } else {
    info(
      `signed ${values.bundle} → ${out}\n  serial ${payload.serial}\n  sha256 ${sha256}\n  size   ${size} bytes\n  skills ${payload.skills}\n  keyid  ${key.keyid} (${key.kind})\n`,
    );
  }
  return EXIT.ok;
}
