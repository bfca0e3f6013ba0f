// `skill-sync validate [dir]`: validate and secret-scan every skill under a folder; exit 1 on any error.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { checkRepo, type CheckResult } from '../../core/check.js';
import type { Finding } from '../../core/findings.js';
import { PROFILES } from '../../core/skill/profiles.js';
import { GATEWAY_ID } from '../../core/gateway/pin.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../core/bundle/limits.js';
import { toSarif } from '../../core/sarif.js';
import { CHECK_ARGS, checkOptionsFrom, EXIT, parse, printJson, UsageError } from '../args.js';

const HELP = `usage: skill-sync validate [dir] [options]

Validate every skill (a folder with SKILL.md, up to 6 levels deep) under dir (default .)
as the gateway (${GATEWAY_ID}) loads it once deployed: frontmatter, layout, caps, names;
validate SYNC.json and scan for secrets.

options:
  --profile P              ${PROFILES.join(' | ')} (default openclaw)
  --required-fields a,b    required frontmatter fields, overriding the profile
  --max-file-size N        per-file limit in bytes for files other than SKILL.md (default ${DEFAULT_MAX_FILE_BYTES};
                           SKILL.md always has the gateway's 256000)
  --placement P            where the receiver's live folder sits for the gateway: managed (default:
                           its managed skills folder, which beats bundled skills) | extra (skills.load.extraDirs)
  --data-root DIR          the gateway's data root, for SYNC.json outputFile (default /data)
  --json                   print {gateway, skills, findings} as JSON
  --format sarif           print a SARIF 2.1.0 log (for code scanning; paths from the current folder)
  -h, --help               show this help

exit: 0 valid (warnings allowed), 1 errors found, 2 usage or config error`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...CHECK_ARGS,
    json: { type: 'boolean' },
    format: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('validate takes one folder');
  if (values.format !== undefined && values.format !== 'sarif')
    throw new UsageError(`--format must be sarif, got '${values.format}'`);
  const dir = positionals[0] ?? '.';
  const checkOptions = checkOptionsFrom(values);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`not a folder: ${dir}`);

  const result = await checkRepo(dir, checkOptions);
  const failed = result.findings.some((f) => f.severity === 'error');
  if (values.format === 'sarif') printJson(toSarif(result.findings, { uriPrefix: sarifPrefix(dir) }));
  else if (values.json) printJson(toJson(result));
  else process.stdout.write(human(result));
  return failed ? EXIT.findings : EXIT.ok;
}

/** Code scanning resolves SARIF paths from the repository root: run from there, paths get the folder prefixed. */
function sarifPrefix(dir: string): string | undefined {
  const rel = path.relative(process.cwd(), path.resolve(dir));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : undefined;
}

function toJson(result: CheckResult) {
  return {
    gateway: GATEWAY_ID,
    skills: result.skills.map(({ name, path, version, fingerprint, valid }) => ({
      name,
      path,
      version,
      fingerprint,
      valid,
    })),
    findings: result.findings,
  };
}

/** Findings grouped by file (errors first within the run's order), then a one-line summary. */
function human(result: CheckResult): string {
  const groups = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = groups.get(f.file);
    if (list) list.push(f);
    else groups.set(f.file, [f]);
  }
  const out: string[] = [];
  for (const [, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const f of list) {
      out.push(`${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule} ${f.message}`);
      if (f.fix) out.push(`    fix: ${f.fix}`);
    }
    out.push('');
  }
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const valid = result.skills.filter((s) => s.valid).length;
  out.push(
    `${result.skills.length} skill(s), ${valid} valid, ${result.skills.length - valid} invalid; ${errors} error(s), ${warnings} warning(s)`,
  );
  return out.join('\n') + '\n';
}
