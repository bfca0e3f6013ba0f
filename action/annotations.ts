// Annotations: findings as `::error`/`::warning` within GitHub's per-step caps, leaving room for the run's own.
import * as core from '@actions/core';
import type { Finding } from '../core/findings.js';
import { sortFindings } from '../core/findings.js';

/** GitHub keeps at most 10 error and 10 warning annotations per step; more are silently dropped. */
export const ANNOTATION_CAP = { error: 10, warning: 10 } as const;

export interface AnnotationCounts {
  shown: { error: number; warning: number };
  hidden: { error: number; warning: number };
}

export interface AnnotateOptions {
  /** Slots kept for the run's own closing messages (failure line, unreachable receiver, skipped plan). */
  reserve?: { error: number; warning: number };
  /** Files a pull request changed: their findings take the slots first. */
  changedFiles?: ReadonlySet<string>;
}

/**
 * Most important first: by severity, then the pull request's own files, then `sortFindings`' order (secrets,
 * file, position). Finding paths are relative to the workspace (checkRepo's `pathPrefix`), as annotations need.
 */
export function annotate(findings: Finding[], opts: AnnotateOptions = {}): AnnotationCounts {
  const cap = {
    error: Math.max(0, ANNOTATION_CAP.error - (opts.reserve?.error ?? 0)),
    warning: Math.max(0, ANNOTATION_CAP.warning - (opts.reserve?.warning ?? 0)),
  };
  const changed = opts.changedFiles;
  const ordered = sortFindings(findings);
  if (changed?.size) {
    const rank = (f: Finding) => (f.severity === 'error' ? 0 : 2) + (changed.has(f.file) ? 0 : 1);
    // Array.prototype.sort is stable: within a rank the sortFindings order stays.
    ordered.sort((a, b) => rank(a) - rank(b));
  }
  const counts: AnnotationCounts = { shown: { error: 0, warning: 0 }, hidden: { error: 0, warning: 0 } };
  for (const f of ordered) {
    if (counts.shown[f.severity] >= cap[f.severity]) {
      counts.hidden[f.severity]++;
      continue;
    }
    counts.shown[f.severity]++;
    const props: core.AnnotationProperties = {
      title: `skill-sync ${f.rule}`,
      file: f.file,
    };
    if (f.line > 0) props.startLine = f.line;
    if (f.line > 0 && f.column > 0) props.startColumn = f.column;
    const message = f.fix ? `${f.message}\nFix: ${f.fix}` : f.message;
    if (f.severity === 'error') core.error(message, props);
    else core.warning(message, props);
  }
  const { error, warning } = counts.hidden;
  if (error + warning > 0) {
    core.notice(
      `${error} more error(s) and ${warning} more warning(s) were not annotated: GitHub keeps ` +
        `${ANNOTATION_CAP.error} error and ${ANNOTATION_CAP.warning} warning annotations per step. ` +
        'Every finding is in the job summary, the JSON report (output report-path) and the SARIF file ' +
        '(output sarif-path, for code scanning).',
      { title: 'skill-sync: findings not annotated' },
    );
  }
  return counts;
}

/** The run's closing warnings as at most `cap` annotations: the overflow is joined into the last one. */
export function closingWarnings(warnings: string[], cap: number = ANNOTATION_CAP.warning): string[] {
  if (warnings.length <= cap) return warnings;
  return [...warnings.slice(0, cap - 1), warnings.slice(cap - 1).join('\n')];
}
