// `skill-sync pack [dir] --out FILE`: check the skills, then pack them into a reproducible bundle.
import { stat } from 'node:fs/promises';
import { packBundle } from '../../core/bundle/index.js';
import { checkRepo, PACK_RETAIN_BYTES } from '../../core/check.js';
import { selectSkills } from '../../core/deploy-flow.js';
import {
  CHECK_ARGS,
  CHECK_HELP,
  checkOptionsFrom,
  EXIT,
  GLOBAL_HELP,
  parse,
  printJson,
  UsageError,
} from '../args.js';
import { info, printJsonError } from '../output.js';

export const HELP = `usage: skill-sync pack [dir] [--out skills.tar.gz] [options]

Validates and secret-scans the skills under dir (default .), then writes a byte-for-byte
reproducible bundle (gzip tar with skill-sync.json) to --out.

options:
  --out FILE               bundle path (default skills.tar.gz)
${CHECK_HELP}
  --on-invalid fail|skip   fail (default): refuse on any error; skip: pack only valid skills
  --json                   print {sha256, size, skills, skipped, out} as JSON
${GLOBAL_HELP}

exit: 0 packed, 1 refused (errors, or no valid skill), 2 usage or config error`;

/** Most error lines printed before "… and N more": the full list is `skill-sync validate`'s job. */
const MAX_LISTED = 20;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string' },
    ...CHECK_ARGS,
    'on-invalid': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('pack takes one folder');
  const dir = positionals[0] ?? '.';
  const out = values.out ?? 'skills.tar.gz';
  const onInvalid = values['on-invalid'] ?? 'fail';
  if (onInvalid !== 'fail' && onInvalid !== 'skip') throw new UsageError(`--on-invalid must be fail or skip`);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new UsageError(`not a folder: ${dir}`);
  const checkOptions = checkOptionsFrom(values, dir);

  const result = await checkRepo(dir, { ...checkOptions, retainBytes: PACK_RETAIN_BYTES });
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0 && onInvalid === 'fail') {
    const lines = errors
      .slice(0, MAX_LISTED)
      .map((f) => `  ${f.file}:${f.line}:${f.column} ${f.rule}: ${f.message}`);
    if (errors.length > MAX_LISTED)
      lines.push(`  … and ${errors.length - MAX_LISTED} more (run skill-sync validate)`);
    if (values.json) printJsonError('refused', EXIT.findings, `refused, ${errors.length} error(s)`);
    process.stderr.write(`skill-sync pack: refused, ${errors.length} error(s):\n${lines.join('\n')}\n`);
    return EXIT.findings;
  }
  // Same rule as a deploy: a secret is never skipped, and skipped skills are retained (docs/action.md).
  const selection = selectSkills(result.skills, result.findings, 'skip');
  const skills = selection.ship;
  const skipped = selection.retain;
  if (selection.blocked) {
    // A secret, or no valid skill: an empty bundle would remove every live skill on the receiver.
    const message = `refused, ${selection.blocked} (under ${dir})`;
    if (values.json) printJsonError('refused', EXIT.findings, message);
    process.stderr.write(`skill-sync pack: ${message}\n`);
    return EXIT.findings;
  }
  const packed = await packBundle(result.root, skills, out, { contents: result.contents, retain: skipped });
  if (values.json) {
    printJson({ out, sha256: packed.sha256, size: packed.size, skills: skills.length, skipped });
  } else {
    info(
      `packed ${skills.length} skill(s) into ${out}\n  sha256 ${packed.sha256}\n  size   ${packed.size} bytes\n` +
        (skipped.length ? `  skipped (invalid): ${skipped.join(', ')}\n` : ''),
    );
  }
  return EXIT.ok;
}
