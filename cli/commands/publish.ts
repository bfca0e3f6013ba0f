// `skill-sync publish`: validate, pack, sign and POST skills to receivers; the Action's deploy path, from a shell.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHECK_ARGS, EXIT, UsageError, checkOptionsFrom, parse, printJson } from '../args.js';
import { checkRepo, PACK_RETAIN_BYTES } from '../../core/check.js';
import { runDeploy, selectSkills, type OnInvalid } from '../../core/deploy-flow.js';
import { countFindings } from '../../core/report.js';
import { sortFindings } from '../../core/findings.js';

const USAGE = `usage: skill-sync publish [dir] --to URL [--to URL …] (--key FILE | --key-env VAR)
       [--release --github-repo OWNER/REPO [--github-token-env VAR] [--release-keep N]]
       [--profile NAME] [--required-fields a,b] [--max-file-size N] [--on-invalid fail|skip] [--timeout SECONDS] [--ref REF] [--dry-run] [--json]
`;

function commitOf(dir: string): string {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

async function readKey(file: string | undefined, envVar: string | undefined): Promise<string> {
  if (file && envVar) throw new UsageError('publish/key: give --key or --key-env, not both');
  if (file) return readFile(file, 'utf8');
  if (envVar) {
    const v = process.env[envVar];
    if (!v) throw new UsageError(`publish/key: environment variable ${envVar} is empty or unset`);
    return v;
  }
  throw new UsageError('publish/key: a signing key is required (--key FILE or --key-env VAR)');
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    to: { type: 'string', multiple: true },
    key: { type: 'string' },
    'key-env': { type: 'string' },
    release: { type: 'boolean' },
    'github-repo': { type: 'string' },
    'github-token-env': { type: 'string' },
    'release-keep': { type: 'string' },
    ...CHECK_ARGS,
    'on-invalid': { type: 'string' },
    timeout: { type: 'string' },
    ref: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`publish takes one folder, got ${positionals.length}`);
  const root = path.resolve(positionals[0] ?? '.');
  const receivers = values.to ?? [];
  const onInvalid = (values['on-invalid'] ?? 'fail') as OnInvalid;
  if (onInvalid !== 'fail' && onInvalid !== 'skip') throw new UsageError(`--on-invalid must be fail or skip`);
  const dryRun = values['dry-run'] ?? false;
  if (!dryRun && receivers.length === 0 && !values.release) {
    throw new UsageError('publish needs --to URL, --release, or --dry-run');
  }
  const repository = values['github-repo'] ?? process.env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  let token = '';
  if (values.release) {
    if (!owner || !repo) throw new UsageError('--release needs --github-repo OWNER/REPO');
    const tokenEnv = values['github-token-env'] ?? 'GITHUB_TOKEN';
    token = process.env[tokenEnv] ?? '';
    if (!token) throw new UsageError(`--release needs a token in $${tokenEnv}`);
  }
  const signingKey = await readKey(values.key, values['key-env']);

  const check = await checkRepo(root, { ...checkOptionsFrom(values), retainBytes: PACK_RETAIN_BYTES });
  const findings = sortFindings(check.findings);
  const counts = countFindings(findings);
  if (!values.json) {
    for (const f of findings.slice(0, 20)) {
      process.stderr.write(`${f.severity}: ${f.file}:${f.line}:${f.column} ${f.rule}: ${f.message}\n`);
    }
    if (findings.length > 20) process.stderr.write(`… and ${findings.length - 20} more finding(s)\n`);
  }
  const selection = selectSkills(check.skills, findings, onInvalid);
  const base = { skills: check.skills.length, invalid: selection.skipped.length, ...counts };
  if (selection.blocked) {
    if (values.json) printJson({ ...base, outcome: 'failed', failures: [selection.blocked], findings });
    else process.stderr.write(`publish: ${selection.blocked}\n`);
    return EXIT.findings;
  }

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-publish-'));
  const result = await runDeploy({
    root,
    skills: selection.ship,
    retain: selection.retain,
    contents: check.contents,
    signingKey,
    receivers,
    release: values.release
      ? {
          apiUrl: process.env.GITHUB_API_URL ?? '',
          owner,
          repo,
          token,
          keep: positiveInt('release-keep', values['release-keep'], 10),
        }
      : undefined,
    source: { repository, ref: values.ref ?? '', commit: commitOf(root), trigger: 'cli' },
    dryRun,
    workDir,
    timeoutMs: positiveInt('timeout', values.timeout, 30) * 1000,
    log: values.json ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  const ok = result.failures.length === 0;
  if (values.json) {
    printJson({
      ...base,
      outcome: ok ? 'ok' : 'failed',
      serial: result.payload.serial,
      bundle: { ...result.payload.bundle, file: result.bundleFile },
      envelopeFile: result.envelopeFile,
      release: result.record.release,
      receivers: result.record.receivers,
      deploymentId: result.deploymentId,
      failures: result.failures,
      warnings: result.warnings,
      findings,
    });
  } else {
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    for (const f of result.failures) process.stderr.write(`error: ${f}\n`);
    process.stdout.write(
      `${ok ? 'published' : 'publish failed'}: ${selection.ship.length} skill(s), serial ${result.payload.serial}, ` +
        `sha256:${result.payload.bundle.sha256}${dryRun ? ' (dry run)' : ''}\n`,
    );
    for (const r of result.record.receivers) {
      const what =
        r.outcome === 'ok'
          ? `${r.httpStatus} ${r.reply.status ?? ''} ${r.reply.deploymentId ?? ''}`
          : r.outcome;
      process.stdout.write(`  ${r.receiver}: ${what.trim()}\n`);
    }
  }
  return ok ? EXIT.ok : EXIT.findings;
}
