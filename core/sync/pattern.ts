// State-key glob patterns shared by SYNC.json, `state list --pattern` and the SQL query: `*` is the only wildcard.

/**
 * A valid pattern is 1–256 characters of letters, digits and `_ . : / @ # + = -`, plus `*` (any run of characters).
 * Excluded on purpose: whitespace (invisible typos), `,` (the CLI's list separator), and `? [ ] \`, which SQLite's
 * GLOB would treat as wildcards, so a validated pattern can be handed to GLOB verbatim.
 */
export const PATTERN_RE = /^[A-Za-z0-9_.:/@#+=*-]{1,256}$/;

export function isValidPattern(pattern: string): boolean {
  return PATTERN_RE.test(pattern);
}

/** `--pattern 'memory:*,notes:*'` → ['memory:*', 'notes:*']; throws with the first bad entry. */
export function parsePatternList(list: string): string[] {
  const patterns = list.split(',').map((p) => p.trim());
  const bad = patterns.find((p) => !isValidPattern(p));
  if (bad !== undefined)
    throw new Error(
      `sync/pattern-invalid: pattern '${bad}' must be 1-256 chars of [A-Za-z0-9_.:/@#+=-] and '*'`,
    );
  return patterns;
}

/** Whether `key` matches `pattern` (the same semantics as SQLite GLOB for validated patterns). */
export function matchesPattern(key: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('[\\s\\S]*')}$`,
  );
  return re.test(key);
}
