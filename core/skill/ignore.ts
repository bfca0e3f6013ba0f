// Ignore rules for discovery: nested `.gitignore` / `.skillsyncignore` scopes, plus the secret allowlist.
import ignore, { type Ignore } from 'ignore';

/** Folders that are never skills and never shipped. */
export const JUNK_DIRS: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '__pycache__',
  '.venv',
  'dist',
  'build',
]);
/** OS litter that would otherwise change a skill's fingerprint; `.skillsyncignore` is our config, not content. */
export const JUNK_FILES: ReadonlySet<string> = new Set(['.DS_Store', 'Thumbs.db', '.skillsyncignore']);

export const IGNORE_FILES = ['.gitignore', '.skillsyncignore'] as const;

const FINGERPRINT_LINE = /^fingerprint:\s*([0-9a-fA-F]{8,128})\s*$/;

/**
 * Splits a `.skillsyncignore`: `fingerprint:<hex>` lines are secret-scanner allowlist entries, not paths,
 * so they must not reach the pattern matcher (where they would be a literal file name).
 */
export function splitSkillsyncignore(text: string): { patterns: string; fingerprints: string[] } {
  const patterns: string[] = [];
  const fingerprints: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = FINGERPRINT_LINE.exec(line.trim());
    if (m) fingerprints.push((m[1] as string).toLowerCase());
    else patterns.push(line);
  }
  return { patterns: patterns.join('\n'), fingerprints };
}

/** The ignore rules in force for one folder: its own files' patterns plus every ancestor's, outermost first. */
export class IgnoreScope {
  private constructor(private readonly layers: readonly { base: string; rules: Ignore }[]) {}

  static root(): IgnoreScope {
    return new IgnoreScope([]);
  }

  /** A child scope for `dir` (relative to the root) with the given ignore-file texts; `this` when there are none. */
  child(dir: string, texts: string[]): IgnoreScope {
    if (texts.length === 0) return this;
    return new IgnoreScope([
      ...this.layers,
      { base: dir, rules: ignore({ allowRelativePaths: true }).add(texts.join('\n')) },
    ]);
  }

  /** `rel` is relative to the root; gitignore semantics: deeper files override, `!` re-includes. */
  ignores(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const { base, rules } of this.layers) {
      const local = base ? rel.slice(base.length + 1) : rel;
      if (!local) continue;
      const r = rules.test(isDir ? `${local}/` : local);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}
