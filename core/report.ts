// Run report: the full JSON record of a validate/deploy run, and its Markdown rendering for the job summary.
import type { Finding } from './findings.js';
import type { Skill } from './skill/model.js';
import type { ReceiverResult } from './delivery.js';

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
  /** Worth knowing, neither failing nor warning (e.g. a plan skipped on a fork's pull request). */
  notices?: string[];
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

/** `<server>/<owner>/<repo>/blob/<sha>/<file>#L<n>`: the exact bytes that were checked, not the branch tip. */
export function blobUrl(
  serverUrl: string,
  repository: string,
  commit: string,
  file: string,
  line: number,
): string {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `${serverUrl.replace(/\/+$/, '')}/${repository}/blob/${commit}/${encoded}${line > 0 ? `#L${line}` : ''}`;
}

/** Groups this long (findings of one rule, skills, plan rows) start folded in a `<details>` block. */
const FOLD_ROWS = 10;

function details(summary: string, rows: number): string[] {
  return [`<details${rows > FOLD_ROWS ? '' : ' open'}><summary>${summary}</summary>`, ''];
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
  const rows = plan.added.length + plan.changed.length + plan.removed.length;
  out.push(...details(`${rows} change(s)`, rows));
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
  out.push('', '</details>', '');
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
 * Markdown for `$GITHUB_STEP_SUMMARY`: findings grouped by rule (each linked to its line at the checked commit),
 * then every skill; long groups fold into `<details>`. Past `limitBytes` the rows stop at a row boundary with a
 * note that points at the JSON report.
 */
export function renderSummary(
  report: RunReport,
  opts: { limitBytes?: number; reportPath?: string; serverUrl?: string } = {},
): string {
  const limit = opts.limitBytes ?? SUMMARY_LIMIT_BYTES;
  const c = report.counts;
  const icon = report.outcome === 'ok' ? (c.errors ? '⚠️' : '✅') : '❌';
  const head: string[] = [
    `## ${icon} skill-sync ${report.mode}`,
    '',
    `${c.skills} skill(s): ${c.valid} valid, ${c.invalid} invalid · ${c.errors} error(s), ${c.warnings} warning(s)` +
      (report.commit ? ` · commit \`${report.commit.slice(0, 12)}\`` : '') +
      (report.gateway ? ` · rules of \`${cell(report.gateway)}\`` : ''),
    '',
  ];
  const notices = report.notices ?? [];
  for (const f of report.failures) head.push(`- ❌ ${cell(f)}`);
  for (const w of report.warnings) head.push(`- ⚠️ ${cell(w)}`);
  for (const n of notices) head.push(`- ℹ️ ${cell(n)}`);
  if (report.skipped) head.push(`- ℹ️ ${cell(report.skipped)}`);
  if (report.failures.length + report.warnings.length + notices.length || report.skipped) head.push('');
  if (report.deploy) head.push(...renderDeploy(report.deploy));
  if (report.plan) head.push(...renderPlan(report.plan));

  const link = (f: Finding): string => {
    const where = `\`${cell(location(f))}\``;
    if (!opts.serverUrl || !report.repository || !report.commit) return where;
    return `[${where}](${blobUrl(opts.serverUrl, report.repository, report.commit, f.file, f.line)})`;
  };
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = `${f.severity === 'error' ? 0 : 1}\u0000${f.rule}`;
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l);

  const pointer = opts.reportPath
    ? `the JSON report (\`${opts.reportPath}\`, output \`report-path\`)`
    : 'the JSON report';
  // Reserve room for the notes and closing tags so that adding them never pushes the text over the limit.
  let budget = limit - 2048;
  const parts: string[] = [];
  const take = (lines: string[]): void => {
    for (const l of lines) {
      budget -= Buffer.byteLength(l) + 1;
      parts.push(l);
    }
  };
  /** Adds rows while they fit; returns how many did. */
  const rows = (list: string[]): number => {
    let shown = 0;
    for (const row of list) {
      const cost = Buffer.byteLength(row) + 1;
      if (cost > budget) break;
      budget -= cost;
      parts.push(row);
      shown++;
    }
    return shown;
  };
  const truncated = (n: number, what: string): void => {
    parts.push('', `> **Truncated:** ${n} more ${what} not shown (summary size limit). See ${pointer}.`, '');
  };

  take(head);
  if (report.outcome === 'failed' && report.skills.length === 0 && report.findings.length === 0) {
    // A wrong input, a missing folder or no skill at all: empty tables would read as "all clear".
    take(['No skill was checked: see the error above.', '']);
    return parts.join('\n') + '\n';
  }
  take([`### Findings (${report.findings.length})`, '']);
  if (report.findings.length === 0) take(['No findings.', '']);
  let findingsShown = 0;
  for (const list of ordered) {
    const first = list[0] as Finding;
    const header = [
      ...details(`${first.severity} · <code>${cell(first.rule)}</code> · ${list.length}`, list.length),
      '| Severity | Location | Message |',
      '| --- | --- | --- |',
    ];
    const headerCost = header.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    if (headerCost > budget) break;
    take(header);
    const shown = rows(
      list.map(
        (f) => `| ${f.severity} | ${link(f)} | ${cell(f.message)}${f.fix ? ` — fix: ${cell(f.fix)}` : ''} |`,
      ),
    );
    findingsShown += shown;
    parts.push('', '</details>', '');
    if (shown < list.length) break;
  }
  if (findingsShown < report.findings.length) truncated(report.findings.length - findingsShown, 'findings');

  const skillRowsMd = report.skills.map(
    (s) =>
      `| ${cell(s.name)} | ${cell(s.version)} | \`${short(s.fingerprint)}\` | ${s.status} | \`${cell(s.path || '.')}\` |`,
  );
  take([`### Skills (${report.skills.length})`, '']);
  if (skillRowsMd.length === 0) take(['No skills.', '']);
  else {
    take([
      ...details(`${report.skills.length} skill(s)`, report.skills.length),
      '| Name | Version | Fingerprint | Status | Path |',
      '| --- | --- | --- | --- | --- |',
    ]);
    const shown = rows(skillRowsMd);
    parts.push('', '</details>', '');
    if (shown < skillRowsMd.length) truncated(skillRowsMd.length - shown, 'skills');
  }
  return parts.join('\n') + '\n';
}
