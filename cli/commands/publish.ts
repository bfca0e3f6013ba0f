// `skill-sync publish`: validate, pack, sign and POST skills to receivers; the Action's deploy path, from a shell.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CHECK_ARGS,
  CHECK_HELP,
  EXIT,
  GLOBAL_HELP,
  UsageError,
  checkOptionsFrom,
  parse,
  printJson,
} from '../args.js';
import { provenance } from '../provenance.js';
import { info, output } from '../output.js';
import { checkRepo, PACK_RETAIN_BYTES } from '../../core/check.js';
import { runDeploy, selectSkills, type OnInvalid } from '../../core/deploy-flow.js';
import { countFindings } from '../../core/report.js';
import { sortFindings } from '../../core/findings.js';

export const HELP = `usage: skill-sync publish [dir] --to URL [--to URL …] (--key FILE | --key-env VAR) [options]

Validates and secret-scans the skills under dir (default .), packs and signs them, and POSTs the
bundle to every receiver (and/or attaches it to a GitHub release): the Action's deploy, from a shell.

options:
  --to URL                 receiver base URL; repeat for several
  --key FILE               signing key file (Ed25519 PEM or HMAC secret)
  --key-env VAR            environment variable holding the signing key
  --release                also create a GitHub release with the bundle and envelope
  --github-repo O/R        repository signed and released to (default $GITHUB_REPOSITORY, else git remote origin)
  --github-token-env VAR   token variable for --release (default GITHUB_TOKEN)
  --release-keep N         releases to keep (default 10)
${CHECK_HELP}
  --on-invalid fail|skip   fail (default): refuse on any error; skip: ship only valid skills
  --timeout SECONDS        per-request timeout (default 30)
  --ref REF                the ref recorded in the signed payload (default $GITHUB_REF, else the checked-out
                           branch; receivers allow refs/heads/main unless told otherwise)
  --out DIR                keep the bundle and envelope in DIR (default: a temp folder, removed)
  --dry-run                pack and sign, post nothing
  --json                   print the outcome as JSON
${GLOBAL_HELP}

exit: 0 published, 1 findings, refused or a failed delivery, 2 usage or config error`;

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
    out: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
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
  const source = provenance(root, { repository: values['github-repo'], ref: values.ref });
  const [owner = '', repo = ''] = source.repository === 'unknown' ? [] : source.repository.split('/');
  let token = '';
  if (values.release) {
    if (!owner || !repo) throw new UsageError('--release needs --github-repo OWNER/REPO');
    const tokenEnv = values['github-token-env'] ?? 'GITHUB_TOKEN';
    token = process.env[tokenEnv] ?? '';
    if (!token) throw new UsageError(`--release needs a token in $${tokenEnv}`);
  }
  const signingKey = await readKey(values.key, values['key-env']);

  const check = await checkRepo(root, { ...checkOptionsFrom(values, root), retainBytes: PACK_RETAIN_BYTES });
  const findings = sortFindings(check.findings);
  const counts = countFindings(findings);
  if (!values.json) {
    for (const f of findings.filter((x) => !output.quiet || x.severity === 'error').slice(0, 20)) {
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

  // Without --out the bundle and envelope live in a temp folder that is removed whatever happens.
  const workDir = values.out
    ? path.resolve(values.out)
    : await mkdtemp(path.join(os.tmpdir(), 'skill-sync-publish-'));
  let result;
  try {
    result = await runDeploy({
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
      source: { ...source, trigger: 'cli' },
      dryRun,
      workDir,
      timeoutMs: positiveInt('timeout', values.timeout, 30) * 1000,
      log: values.json ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
  } finally {
    if (!values.out) await rm(workDir, { recursive: true, force: true });
  }
  const ok = result.failures.length === 0;
  if (values.json) {
    printJson({
      ...base,
      outcome: ok ? 'ok' : 'failed',
      serial: result.payload.serial,
      bundle: { ...result.payload.bundle, ...(values.out ? { file: result.bundleFile } : {}) },
      ...(values.out ? { envelopeFile: result.envelopeFile } : {}),
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
    info(
      `${ok ? 'published' : 'publish failed'}: ${selection.ship.length} skill(s), serial ${result.payload.serial}, ` +
        `sha256:${result.payload.bundle.sha256}${dryRun ? ' (dry run)' : ''}\n`,
    );
    for (const r of result.record.receivers) {
      const what =
        r.outcome === 'ok'
          ? `${r.httpStatus} ${r.reply.status ?? ''} ${r.reply.deploymentId ?? ''}`
          : r.outcome;
      info(`  ${r.receiver}: ${what.trim()}\n`);
    }
  }
  return ok ? EXIT.ok : EXIT.findings;
}
