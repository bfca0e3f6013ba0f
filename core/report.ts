// Run report: the full JSON record of a validate/deploy run, and its Markdown rendering for the job summary.
import type { Finding } from './findings.js';
import type { Skill } from './skill.js';
import type { ReceiverResult } from './publish.js';

export type SkillStatus = 'valid' | 'invalid' | 'skipped';

export interface SkillRow {
  name: string;
  path: string;
  version: string;
  fingerprint: string;
  status: SkillStatus;
}

export interface PlanSkill {
  name: string;
  version: string;
  fingerprint: string;
}

/** What merging would change on the receiver: compared by skill name, changed when the fingerprint differs. */
export interface DeployPlan {
  live: {
    deploymentId: string | null;
    serial: number | null;
    commit: string | null;
    appliedAt: string | null;
  };
  added: PlanSkill[];
  changed: { name: string; from: PlanSkill; to: PlanSkill }[];
  removed: PlanSkill[];
  unchanged: number;
}

export interface DeployRecord {
  dryRun: boolean;
  serial: number;
  bundle: { sha256: string; size: number };
  release?: { url: string; id: number | string } | { error: string } | { skipped: string };
  receivers: ReceiverResult[];
}

export interface RunReport {
  v: 1;
  mode: 'validate' | 'deploy';
  /** The gateway whose loading rules the findings follow, e.g. `openclaw@2026.9.6` (core/gateway/pin.ts). */
  gateway?: string;
  root: string;
  generatedAt: string;
  repository?: string;
  ref?: string;
  commit?: string;
  counts: { skills: number; valid: number; invalid: number; errors: number; warnings: number };
  skills: SkillRow[];
  findings: Finding[];
  plan?: DeployPlan | { error: string };
  deploy?: DeployRecord;
  /** Why a deploy run deployed nothing without failing (a re-run of a push that is no longer the branch tip). */
  skipped?: string;
  outcome: 'ok' | 'failed';
  failures: string[];
  warnings: string[];
}

export function skillRows(skills: Skill[], invalidStatus: SkillStatus = 'invalid'): SkillRow[] {
  return skills.map((s) => ({
    name: s.name,
    path: s.path,
    version: s.version,
    fingerprint: s.fingerprint,
    status: s.valid ? 'valid' : invalidStatus,
  }));
}

export function countFindings(findings: Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}

/** GitHub refuses step summaries over 1 MiB; stay under it with room for the truncation note. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 16 * 1024;

const short = (fp: string): string => fp.slice(0, 12);

/** Table cells: one line, no pipe breaking the column layout, no HTML. */
function cell(text: string | number): string {
  return String(text)
    .replace(/\r?\n/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function location(f: Finding): string {
  if (!f.line) return f.file;
  return f.column ? `${f.file}:${f.line}:${f.column}` : `${f.file}:${f.line}`;
}

export function renderPlan(plan: DeployPlan | { error: string }): string[] {
  const out = ['### Deploy plan', ''];
  if ('error' in plan) return [...out, `⚠️ Could not read the live state: ${cell(plan.error)}`, ''];
  const live = plan.live.deploymentId
    ? `Live now: deployment \`${plan.live.deploymentId}\`, serial ${plan.live.serial ?? '?'}, commit \`${(plan.live.commit ?? '?').slice(0, 12)}\`.`
    : 'Nothing is live on the receiver yet.';
  out.push(
    live,
    '',
    `Merging adds **${plan.added.length}**, changes **${plan.changed.length}**, removes **${plan.removed.length}**; ${plan.unchanged} unchanged.`,
    '',
  );
  if (plan.added.length + plan.changed.length + plan.removed.length === 0) return out;
  out.push('| Change | Skill | Live | This change |', '| --- | --- | --- | --- |');
  for (const s of plan.added)
    out.push(`| added | ${cell(s.name)} | – | ${cell(s.version)} (\`${short(s.fingerprint)}\`) |`);
  for (const c of plan.changed) {
    out.push(
      `| changed | ${cell(c.name)} | ${cell(c.from.version)} (\`${short(c.from.fingerprint)}\`) | ${cell(c.to.version)} (\`${short(c.to.fingerprint)}\`) |`,
    );
  }
  for (const s of plan.removed)
    out.push(`| removed | ${cell(s.name)} | ${cell(s.version)} (\`${short(s.fingerprint)}\`) | – |`);
  out.push('');
  return out;
}

function renderDeploy(d: DeployRecord): string[] {
  const out = ['### Deployment', ''];
  out.push(`- Serial: \`${d.serial}\`${d.dryRun ? ' (dry run: nothing released or posted)' : ''}`);
  out.push(`- Bundle: \`sha256:${d.bundle.sha256}\`, ${d.bundle.size} bytes`);
  if (d.release && 'url' in d.release) out.push(`- Release: ${d.release.url}`);
  else if (d.release && 'error' in d.release) out.push(`- Release: ❌ ${cell(d.release.error)}`);
  else if (d.release) out.push(`- Release: ${cell(d.release.skipped)}`);
  for (const r of d.receivers) {
    if (r.outcome === 'ok') {
      out.push(
        `- ✅ ${cell(r.receiver)}: ${r.httpStatus} ${cell(r.reply.status ?? '')} ${cell(r.reply.deploymentId ?? '')}`.trimEnd(),
      );
    } else if (r.outcome === 'refused') {
      out.push(`- ❌ ${cell(r.receiver)}: refused ${r.httpStatus} ${cell(r.code)}: ${cell(r.message)}`);
    } else {
      out.push(`- ⚠️ ${cell(r.receiver)}: unreachable after ${r.attempts} attempt(s): ${cell(r.message)}`);
    }
  }
  out.push('');
  return out;
}

/**
 * Markdown for `$GITHUB_STEP_SUMMARY`: every finding and every skill, unless that would pass `limitBytes`;
 * then the tables stop at a row boundary with a note that points at the JSON report.
 */
export function renderSummary(
  report: RunReport,
  opts: { limitBytes?: number; reportPath?: string } = {},
): string {
  const limit = opts.limitBytes ?? SUMMARY_LIMIT_BYTES;
  const c = report.counts;
  const icon = report.outcome === 'ok' ? (c.errors ? '⚠️' : '✅') : '❌';
  const head: string[] = [
    `## ${icon} skill-sync ${report.mode}`,
    '',
    `${c.skills} skill(s): ${c.valid} valid, ${c.invalid} invalid · ${c.errors} error(s), ${c.warnings} warning(s)` +
      (report.commit ? ` · commit \`${report.commit.slice(0, 12)}\`` : ''),
    '',
  ];
  for (const f of report.failures) head.push(`- ❌ ${cell(f)}`);
  for (const w of report.warnings) head.push(`- ⚠️ ${cell(w)}`);
  if (report.failures.length + report.warnings.length) head.push('');
  if (report.skipped) head.push(`- ℹ️ ${cell(report.skipped)}`, '');
  if (report.deploy) head.push(...renderDeploy(report.deploy));
  if (report.plan) head.push(...renderPlan(report.plan));

  const findingRows = report.findings.map(
    (f) =>
      `| ${f.severity} | \`${cell(f.rule)}\` | \`${cell(location(f))}\` | ${cell(f.message)}${f.fix ? ` — fix: ${cell(f.fix)}` : ''} |`,
  );
  const skillRowsMd = report.skills.map(
    (s) =>
      `| ${cell(s.name)} | ${cell(s.version)} | \`${short(s.fingerprint)}\` | ${s.status} | \`${cell(s.path || '.')}\` |`,
  );

  const pointer = opts.reportPath
    ? `the JSON report (\`${opts.reportPath}\`, output \`report-path\`)`
    : 'the JSON report';
  // Reserve room for the notes so that adding them never pushes the text over the limit.
  let budget = limit - 2048;
  const parts: string[] = [];
  const take = (lines: string[]): void => {
    for (const l of lines) {
      budget -= Buffer.byteLength(l) + 1;
      parts.push(l);
    }
  };
  const table = (title: string, header: string[], rows: string[], what: string): void => {
    take([title, '', ...(rows.length ? header : [`No ${what}.`])]);
    let shown = 0;
    for (const row of rows) {
      const cost = Buffer.byteLength(row) + 1;
      if (cost > budget) break;
      budget -= cost;
      parts.push(row);
      shown++;
    }
    if (shown < rows.length) {
      parts.push(
        '',
        `> **Truncated:** ${rows.length - shown} more ${what} not shown (summary size limit). See ${pointer}.`,
      );
    }
    parts.push('');
  };
  take(head);
  table(
    `### Findings (${report.findings.length})`,
    ['| Severity | Rule | Location | Message |', '| --- | --- | --- | --- |'],
    findingRows,
    'findings',
  );
  table(
    `### Skills (${report.skills.length})`,
    ['| Name | Version | Fingerprint | Status | Path |', '| --- | --- | --- | --- | --- |'],
    skillRowsMd,
    'skills',
  );
  return parts.join('\n') + '\n';
}
