// `skill-sync validate [dir]`: validate and secret-scan every skill under a folder; exit 1 on any error.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { checkRepo, type CheckResult } from '../../core/check.js';
import type { Finding } from '../../core/findings.js';
import { GATEWAY_ID } from '../../core/gateway/pin.js';
import { toSarif } from '../../core/sarif.js';
import { countFindings } from '../../core/report.js';
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
import { output, paint } from '../output.js';

export const HELP = `usage: skill-sync validate [dir] [options]

Validate every skill (a folder with SKILL.md, up to 6 levels deep) under dir (default .)
as the gateway (${GATEWAY_ID}) loads it once deployed: frontmatter, layout, caps, names;
validate SYNC.json and scan for secrets.

options:
${CHECK_HELP}
  --json                   print {v, gateway, counts, skills, findings} as JSON (the Action's report fields)
  --format sarif           print a SARIF 2.1.0 log (for code scanning; paths from the current folder)
${GLOBAL_HELP}

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
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`not a folder: ${dir}`);
  const checkOptions = checkOptionsFrom(values, dir);

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

/** `v` and `counts` as in the Action's JSON report (core/report.ts), so one parser reads both. */
function toJson(result: CheckResult) {
  const invalid = result.skills.filter((s) => !s.valid).length;
  return {
    v: 1,
    gateway: GATEWAY_ID,
    counts: {
      skills: result.skills.length,
      valid: result.skills.length - invalid,
      invalid,
      ...countFindings(result.findings),
    },
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

/** Findings grouped by file, then a one-line summary; --quiet keeps only the errors. */
function human(result: CheckResult): string {
  const groups = new Map<string, Finding[]>();
  const stdout = process.stdout;
  for (const f of result.findings) {
    if (output.quiet && f.severity !== 'error') continue;
    const list = groups.get(f.file);
    if (list) list.push(f);
    else groups.set(f.file, [f]);
  }
  const out: string[] = [];
  for (const [, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const f of list) {
      const severity = paint(stdout, f.severity === 'error' ? 'red' : 'yellow', f.severity);
      out.push(`${f.file}:${f.line}:${f.column} ${severity} ${f.rule} ${f.message}`);
      if (f.fix) out.push(`    fix: ${f.fix}`);
    }
    out.push('');
  }
  if (output.quiet) return out.join('\n');
  const { errors, warnings } = countFindings(result.findings);
  const valid = result.skills.filter((s) => s.valid).length;
  out.push(
    `${result.skills.length} skill(s), ${valid} valid, ${result.skills.length - valid} invalid; ${errors} error(s), ${warnings} warning(s)`,
  );
  return out.join('\n') + '\n';
}
