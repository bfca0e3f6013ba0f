// The Action's run: validate → annotate → (plan | pack → sign → release → publish) → summary, report, outputs.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { checkRepo, PACK_RETAIN_BYTES, type CheckResult } from '../core/check.js';
import { countFindings, skillRows, type DeployRecord, type RunReport } from '../core/report.js';
import { runDeploy, selectSkills } from '../core/deploy-flow.js';
import { redactSecrets } from '../core/secrets/scan.js';
import { GATEWAY_ID } from '../core/gateway/pin.js';
import { annotate, closingWarnings } from './annotations.js';
import { pullRequestFiles } from './changed-files.js';
import { keylessSigner } from './oidc.js';
import { computePlan, fetchLiveState } from './plan.js';
import { checkStillTip } from './tip.js';
import {
  readContext,
  readInputs,
  resolveMode,
  triggerFor,
  type ActionInputs,
  type GitHubContext,
} from './inputs.js';
import { writeReport, writeSarif, writeSummary } from './summary.js';

/** The deployed commit is what is checked out (a dispatch may check out an older ref), else GITHUB_SHA. */
function checkedOutCommit(root: string, fallback: string): string {
  const r = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  const sha = r.status === 0 ? r.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha : fallback;
}

function deployRef(ctx: GitHubContext): string {
  const wanted = ctx.dispatchInputs.ref;
  return ctx.eventName === 'workflow_dispatch' && typeof wanted === 'string' && wanted ? wanted : ctx.ref;
}

export async function run(): Promise<void> {
  try {
    await runAction();
  } catch (err) {
    core.setFailed(redactSecrets(err instanceof Error ? err.message : String(err)));
  }
}

/** What every run reports, before anything is read: inputs that fail to parse still get a summary. */
function emptyReport(ctx: GitHubContext): RunReport {
  return {
    v: 1,
    mode: resolveMode('auto', ctx.eventName),
    gateway: GATEWAY_ID,
    root: '.',
    generatedAt: new Date().toISOString(),
    repository: ctx.repository || undefined,
    ref: deployRef(ctx) || undefined,
    commit: ctx.sha || undefined,
    counts: { skills: 0, valid: 0, invalid: 0, errors: 0, warnings: 0 },
    skills: [],
    findings: [],
    outcome: 'ok',
    failures: [],
    warnings: [],
    notices: [],
  };
}

const CHECKOUT_HINT =
  'Is the repository checked out? Add `- uses: actions/checkout@v7` before this step, and check the `path` input.';

/** Discover and check; a missing or unreadable folder, or no skill at all, is an error that names the fix. */
async function checkSkills(inputs: ActionInputs): Promise<CheckResult> {
  const shown = inputs.rootPrefix || '.';
  let check: CheckResult;
  try {
    check = await checkRepo(inputs.root, {
      profile: inputs.profile,
      requiredFields: inputs.requiredFields,
      maxFileSize: inputs.maxFileSize,
      ignore: inputs.ignore,
      dataRoot: inputs.syncDataRoot,
      pathPrefix: inputs.rootPrefix,
      retainBytes: inputs.mode === 'validate' ? 0 : PACK_RETAIN_BYTES,
    });
  } catch (err) {
    throw new Error(
      `skills/unreadable: could not read the skills folder '${shown}': ${(err as Error).message}. ${CHECKOUT_HINT}`,
    );
  }
  if (check.skills.length === 0) {
    throw new Error(
      `skills/none: no skill found under '${shown}' (a skill is a folder with a SKILL.md). ${CHECKOUT_HINT}`,
    );
  }
  return check;
}

async function runAction(): Promise<void> {
  const ctx = readContext();
  const report = emptyReport(ctx);
  let inputs: ActionInputs | undefined;
  let checked = false;
  try {
    inputs = readInputs(ctx);
    report.mode = inputs.mode;
    report.root = inputs.rootPrefix || '.';
    report.notices?.push(...inputs.notices);
    core.info(`skill-sync ${inputs.mode}${inputs.dryRun ? ' (dry run)' : ''}: ${inputs.root}`);
    if (inputs.signingKeyId) core.info(`signing with key id ${inputs.signingKeyId}`);
    report.commit = checkedOutCommit(inputs.root, ctx.sha) || undefined;

    const check = await checkSkills(inputs);
    checked = true;
    const counts = countFindings(check.findings);
    const invalid = check.skills.filter((s) => !s.valid).length;
    report.findings = check.findings;
    report.skills = skillRows(check.skills);
    report.counts = { skills: check.skills.length, valid: check.skills.length - invalid, invalid, ...counts };
    core.setOutput('skills-count', check.skills.length);
    core.setOutput('invalid-count', invalid);

    if (inputs.mode === 'validate') await validateMode(inputs, ctx, report, check.skills);
    else await deployMode(inputs, ctx, report, check);
  } catch (err) {
    report.failures.push(redactSecrets(err instanceof Error ? err.message : String(err)));
  } finally {
    await finish(report, ctx, inputs, checked);
  }
}

/**
 * The run's closing: annotations (findings first, within the slots the closing messages leave), notices and
 * warnings, the JSON report, the SARIF file (only when the check ran: an empty one would close open alerts),
 * the job summary, and the failure.
 */
async function finish(
  report: RunReport,
  ctx: GitHubContext,
  inputs: ActionInputs | undefined,
  checked: boolean,
): Promise<void> {
  if (report.failures.length) report.outcome = 'failed';
  const warnings = closingWarnings(report.warnings);
  annotate(report.findings, {
    reserve: { error: report.failures.length ? 1 : 0, warning: warnings.length },
    changedFiles: report.findings.length ? await changedFiles(ctx, inputs) : undefined,
  });
  for (const n of report.notices ?? []) core.notice(n);
  for (const w of warnings) core.warning(w);
  const reportPath = await writeReport(report, ctx.runnerTemp);
  core.setOutput('report-path', reportPath);
  if (checked) core.setOutput('sarif-path', await writeSarif(report.findings, ctx.runnerTemp));
  try {
    await writeSummary(report, reportPath, ctx.serverUrl);
  } catch (err) {
    core.warning(`could not write the job summary: ${(err as Error).message}`);
  }
  if (report.failures.length) core.setFailed(report.failures.join('\n'));
}

/** On a pull request, the files it changed (REST, job token); anything else, or any failure: none. */
async function changedFiles(
  ctx: GitHubContext,
  inputs: ActionInputs | undefined,
): Promise<Set<string> | undefined> {
  if (!ctx.pullNumber || !ctx.owner || !ctx.repo || !inputs?.githubToken) return undefined;
  try {
    return await pullRequestFiles(
      {
        apiUrl: ctx.apiUrl,
        owner: ctx.owner,
        repo: ctx.repo,
        token: inputs.githubToken,
        timeoutMs: inputs.timeoutMs,
      },
      ctx.pullNumber,
    );
  } catch (err) {
    core.info(
      `could not list the pull request's files (${redactSecrets((err as Error).message)}); annotating in the usual order`,
    );
    return undefined;
  }
}

async function validateMode(
  inputs: ActionInputs,
  ctx: GitHubContext,
  report: RunReport,
  skills: Parameters<typeof computePlan>[1],
): Promise<void> {
  if (inputs.planUrl && ctx.fromFork) {
    // GitHub gives a fork's pull request no secrets, so the plan's API key is empty: expected, not a problem.
    report.notices?.push(
      'deploy plan skipped: pull requests from forks get no secrets (plan-api-key is empty on them)',
    );
  } else if (inputs.planUrl) {
    // What merging would deploy: with on-invalid skip the valid skills, and the live versions of the rest.
    const valid = report.skills.filter((s) => s.status === 'valid');
    const skipped = new Set(report.skills.filter((s) => s.status !== 'valid').map((s) => s.name));
    try {
      const live = await fetchLiveState(inputs.planUrl, inputs.planApiKey || undefined, inputs.timeoutMs);
      const kept = live.skills.filter((s) => skipped.has(s.name));
      report.plan = computePlan(live, inputs.onInvalid === 'skip' ? [...valid, ...kept] : skills);
      const p = report.plan;
      core.info(
        `deploy plan: ${p.added.length} added, ${p.changed.length} changed, ${p.removed.length} removed, ${p.unchanged} unchanged`,
      );
    } catch (err) {
      const msg = redactSecrets((err as Error).message);
      report.plan = { error: msg };
      report.warnings.push(`deploy plan skipped: ${msg}`);
    }
  }
  if (report.counts.errors > 0) {
    report.failures.push(
      `validation found ${report.counts.errors} error(s) in ${report.counts.invalid} skill(s)`,
    );
  }
}

async function deployMode(
  inputs: ActionInputs,
  ctx: GitHubContext,
  report: RunReport,
  { skills, contents }: CheckResult,
): Promise<void> {
  const selection = selectSkills(skills, report.findings, inputs.onInvalid);
  if (selection.blocked) {
    report.failures.push(selection.blocked);
    return;
  }
  if (selection.skipped.length) {
    report.skills = skillRows(skills, 'skipped');
    report.warnings.push(
      `on-invalid: skip: ${selection.skipped.length} invalid skill(s) not updated; receivers keep their live versions: ${selection.skipped.map((s) => s.name).join(', ')}`,
    );
  }
  if (!inputs.signingKey && inputs.signing === 'key')
    throw new Error(
      'input/missing: signing-key is required to deploy, or keyless signing: add `permissions: id-token: write` to the job',
    );
  const idToken =
    inputs.signing === 'oidc'
      ? keylessSigner({ ref: report.ref ?? '', commit: report.commit ?? '' }, ctx)
      : undefined;
  if (!inputs.dryRun) {
    const tip = await checkStillTip(ctx, inputs, report.commit ?? ctx.sha);
    if (tip.kind !== 'deploy') core.notice(tip.notice);
    if (tip.kind === 'skip') {
      report.skipped = tip.notice;
      return;
    }
  }
  const workDir = await mkdtemp(path.join(ctx.runnerTemp, 'skill-sync-'));
  const result = await runDeploy({
    root: inputs.root,
    skills: selection.ship,
    retain: selection.retain,
    contents,
    signingKey: inputs.signingKey,
    idToken,
    receivers: inputs.receivers,
    release: inputs.release
      ? {
          apiUrl: ctx.apiUrl,
          owner: ctx.owner,
          repo: ctx.repo,
          token: inputs.githubToken,
          keep: inputs.releaseKeep,
        }
      : undefined,
    source: {
      repository: ctx.repository,
      // The ref the workflow ran on, which branch protection and environments gate (receivers allowlist it,
      // docs/security.md); a re-deployed older ref is named by its commit.
      ref: ctx.ref,
      commit: report.commit ?? '',
      trigger: triggerFor(ctx.eventName),
    },
    dryRun: inputs.dryRun,
    workDir,
    timeoutMs: inputs.timeoutMs,
    log: (m) => core.info(redactSecrets(m)),
  });
  report.deploy = result.record;
  logDelivery(result.record);
  report.failures.push(...result.failures);
  report.warnings.push(...result.warnings);
  core.setOutput('bundle-digest', result.payload.bundle.sha256);
  core.setOutput('serial', result.payload.serial);
  if (result.deploymentId) core.setOutput('deployment-id', result.deploymentId);
  if (result.releaseUrl) core.setOutput('release-url', result.releaseUrl);
}

/** One line per destination: which receivers got the bundle, and what each answered. */
function logDelivery(d: DeployRecord): void {
  // Receiver answers come from outside: scrubbed like everything else they reach.
  const log = (m: string) => core.info(redactSecrets(m));
  if (d.dryRun) return;
  if (d.release && 'url' in d.release) log(`delivery: GitHub release ${d.release.url}`);
  else if (d.release && 'error' in d.release) log(`delivery: GitHub release failed: ${d.release.error}`);
  for (const r of d.receivers) {
    const tries = `${r.attempts} attempt(s)`;
    if (r.outcome === 'ok') {
      const reply = [r.reply.status, r.reply.deploymentId && `deployment ${r.reply.deploymentId}`]
        .filter(Boolean)
        .join(', ');
      log(
        `delivery: ${r.receiver} got the bundle: HTTP ${r.httpStatus}${reply ? ` ${reply}` : ''} (${tries})`,
      );
    } else if (r.outcome === 'refused') {
      log(`delivery: ${r.receiver} refused it: HTTP ${r.httpStatus} ${r.code}: ${r.message} (${tries})`);
    } else {
      log(`delivery: ${r.receiver} not reached: ${r.message} (${tries})`);
    }
  }
  if (d.receivers.length === 0) log('delivery: no receiver-url; the receivers poll the release');
}
