// `skill-sync keygen [--out DIR] [--force]`: create an Ed25519 key pair for signing releases.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair } from '../../core/envelope/index.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { EXIT, GLOBAL_HELP, parse, printJson, UsageError } from '../args.js';
import { info, output } from '../output.js';

export const HELP = `usage: skill-sync keygen [--out DIR] [--force] [--json]

Writes DIR/skill-sync.key (Ed25519 private key, PEM, mode 0600) and DIR/skill-sync.pub (PEM),
and prints the SKILL_SYNC_PUBLIC_KEYS value for the receiver.

options:
  --out DIR    folder to write the keys into (default .)
  --force      overwrite existing key files
  --json       print {privateKeyFile, publicKeyFile, keyid, publicKeySetting} as JSON
${GLOBAL_HELP}

With --quiet only the SKILL_SYNC_PUBLIC_KEYS=… line is printed.

exit: 0 keys written, 2 usage error (or a key file exists and --force was not given)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('keygen takes no positional arguments');
  const dir = values.out ?? '.';
  await mkdir(dir, { recursive: true });
  const keyFile = path.join(dir, 'skill-sync.key');
  const pubFile = path.join(dir, 'skill-sync.pub');
  const pair = generateKeyPair();
  if (values.force) {
    await writeFileAtomic(keyFile, pair.privateKeyPem, 0o600);
    await writeFileAtomic(pubFile, pair.publicKeyPem, 0o644);
  } else {
    // 'wx' refuses to replace a key someone may already have deployed.
    try {
      await writeFile(keyFile, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
      await writeFile(pubFile, pair.publicKeyPem, { flag: 'wx', mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UsageError(
          `${(err as NodeJS.ErrnoException).path} already exists (use --force to overwrite)`,
        );
      }
      throw err;
    }
  }
  if (values.json) {
    printJson({
      privateKeyFile: keyFile,
      publicKeyFile: pubFile,
      keyid: pair.keyid,
      publicKeySetting: pair.publicKeySetting,
    });
    return EXIT.ok;
  }
  if (output.quiet) {
    process.stdout.write(`SKILL_SYNC_PUBLIC_KEYS=${pair.publicKeySetting}\n`);
    return EXIT.ok;
  }
  info(
    [
      `private key: ${keyFile} (keep secret; mode 0600)`,
      `public key:  ${pubFile}`,
      `keyid:       ${pair.keyid}`,
      '',
      'Receiver setting:',
      `SKILL_SYNC_PUBLIC_KEYS=${pair.publicKeySetting}`,
      '',
      `Store the contents of ${keyFile} as the repository secret SKILL_SYNC_SIGNING_KEY,`,
      'then delete the local copy or keep it somewhere safe.',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
