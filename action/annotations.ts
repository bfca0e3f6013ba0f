// PR annotations: the most important findings as `::error`/`::warning` commands, within GitHub's display caps.
import * as core from '@actions/core';
import type { Finding } from '../core/findings.js';
import { sortFindings } from '../core/findings.js';

/** GitHub shows at most 10 errors and 10 warnings per step; more are silently dropped. */
export const ANNOTATION_CAP = { error: 10, warning: 10 } as const;

export interface AnnotationCounts {
  shown: { error: number; warning: number };
  hidden: { error: number; warning: number };
}

/** Finding paths are already relative to the workspace (checkRepo's `pathPrefix`), as annotations need. */
export function annotate(findings: Finding[]): AnnotationCounts {
  const counts: AnnotationCounts = { shown: { error: 0, warning: 0 }, hidden: { error: 0, warning: 0 } };
  for (const f of sortFindings(findings)) {
    if (counts.shown[f.severity] >= ANNOTATION_CAP[f.severity]) {
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
  const hidden = counts.hidden.error + counts.hidden.warning;
  if (hidden > 0) {
    core.info(
      `${counts.hidden.error} more error(s) and ${counts.hidden.warning} more warning(s) were not annotated ` +
        `(GitHub shows ${ANNOTATION_CAP.error} + ${ANNOTATION_CAP.warning} per step); all are in the job summary and the JSON report.`,
    );
  }
  return counts;
}
