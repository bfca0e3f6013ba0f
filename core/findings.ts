// Findings: the one shape every check (validator, secret scanner, manifest) reports problems in.

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Stable rule id, e.g. `frontmatter/repaired` or `secret/github-pat`. */
  rule: string;
  /** Path relative to the repo root, POSIX separators. */
  file: string;
  /** 1-based; 0 when the finding is about the whole file. */
  line: number;
  /** 1-based; 0 when the finding is about the whole file or line. */
  column: number;
  message: string;
  fix?: string;
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1 };

/** Most important first: errors, then secrets, then by file and position (annotation caps keep the head). */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank[a.severity] - severityRank[b.severity] ||
      Number(b.rule.startsWith('secret/')) - Number(a.rule.startsWith('secret/')) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule.localeCompare(b.rule),
  );
}
