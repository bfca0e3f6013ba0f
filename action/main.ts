// The Action's run: validate → annotate → (plan | pack → sign → release → publish) → summary, report, outputs.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { checkRepo, PACK_RETAIN_BYTES, type CheckResult } from '../core/check.js';
import { countFindings, skillRows, type RunReport } from '../core/report.js';
import { runDeploy, selectSkills } from '../core/deploy-flow.js';
import { redactSecrets } from '../core/secrets/scan.js';
import { annotate } from './annotations.js';
import { computePlan, fetchLiveState } from './plan.js';
import { readContext, readInputs, triggerFor, type ActionInputs, type GitHubContext } from './inputs.js';
import { writeReport, writeSummary } from './summary.js';

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

async function runAction(): Promise<void> {
  const ctx = readContext();
  const inputs = readInputs(ctx);
  const { root } = inputs;
  core.info(`skill-sync ${inputs.mode}${inputs.dryRun ? ' (dry run)' : ''}: ${root}`);

  const check = await checkRepo(root, {
    profile: inputs.profile,
    requiredFields: inputs.requiredFields,
    maxFileSize: inputs.maxFileSize,
    ignore: inputs.ignore,
    dataRoot: inputs.syncDataRoot,
    pathPrefix: inputs.rootPrefix,
    retainBytes: inputs.mode === 'validate' ? 0 : PACK_RETAIN_BYTES,
  });
  const findings = check.findings;
  annotate(findings);

  const counts = countFindings(findings);
  const invalid = check.skills.filter((s) => !s.valid).length;
  const report: RunReport = {
    v: 1,
    mode: inputs.mode,
    root: inputs.rootPrefix || '.',
    generatedAt: new Date().toISOString(),
    repository: ctx.repository || undefined,
    ref: deployRef(ctx) || undefined,
    commit: checkedOutCommit(root, ctx.sha) || undefined,
    counts: { skills: check.skills.length, valid: check.skills.length - invalid, invalid, ...counts },
    skills: skillRows(check.skills),
    findings,
    outcome: 'ok',
    failures: [],
    warnings: [],
  };
  core.setOutput('skills-count', check.skills.length);
  core.setOutput('invalid-count', invalid);

  try {
    if (inputs.mode === 'validate') await validateMode(inputs, report, check.skills);
    else await deployMode(inputs, ctx, report, check);
  } catch (err) {
    report.failures.push(redactSecrets(err instanceof Error ? err.message : String(err)));
  } finally {
    if (report.failures.length) report.outcome = 'failed';
    for (const w of report.warnings) core.warning(w);
    const reportPath = await writeReport(report, ctx.runnerTemp);
    core.setOutput('report-path', reportPath);
    try {
      await writeSummary(report, reportPath);
    } catch (err) {
      core.warning(`could not write the job summary: ${(err as Error).message}`);
    }
    if (report.failures.length) core.setFailed(report.failures.join('\n'));
  }
}

async function validateMode(
  inputs: ActionInputs,
  report: RunReport,
  skills: Parameters<typeof computePlan>[1],
): Promise<void> {
  if (inputs.planUrl) {
    // What merging would deploy: with on-invalid skip only the valid skills go out.
    const shipped = inputs.onInvalid === 'skip' ? report.skills.filter((s) => s.status === 'valid') : skills;
    try {
      const live = await fetchLiveState(inputs.planUrl, inputs.planApiKey || undefined, inputs.timeoutMs);
      report.plan = computePlan(live, shipped);
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
      `on-invalid: skip: ${selection.skipped.length} invalid skill(s) not deployed: ${selection.skipped.map((s) => s.name).join(', ')}`,
    );
  }
  if (!inputs.signingKey) throw new Error('input/missing: signing-key is required to deploy');
  if (!inputs.dryRun && inputs.receivers.length === 0 && !inputs.release) {
    throw new Error('input/missing: deploy needs receiver-url, or release: true, or dry-run: true');
  }
  if (!inputs.dryRun && inputs.release && (!ctx.owner || !ctx.repo || !inputs.githubToken)) {
    throw new Error('input/missing: release: true needs GITHUB_REPOSITORY and github-token');
  }
  const workDir = await mkdtemp(path.join(ctx.runnerTemp, 'skill-sync-'));
  const result = await runDeploy({
    root: inputs.root,
    skills: selection.ship,
    contents,
    signingKey: inputs.signingKey,
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
      ref: report.ref ?? '',
      commit: report.commit ?? '',
      trigger: triggerFor(ctx.eventName),
    },
    dryRun: inputs.dryRun,
    workDir,
    timeoutMs: inputs.timeoutMs,
    log: (m) => core.info(redactSecrets(m)),
  });
  report.deploy = result.record;
  report.failures.push(...result.failures);
  report.warnings.push(...result.warnings);
  core.setOutput('bundle-digest', result.payload.bundle.sha256);
  core.setOutput('serial', result.payload.serial);
  if (result.deploymentId) core.setOutput('deployment-id', result.deploymentId);
  if (result.releaseUrl) core.setOutput('release-url', result.releaseUrl);
}
