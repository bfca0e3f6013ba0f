// Skill model: what discovery and validation produce, and what the bundle manifest and receiver consume.

export interface SkillFile {
  /** Path relative to the skill folder, POSIX separators. */
  path: string;
  sha256: string;
  size: number;
  /** 0o644 or 0o755: only the owner-exec bit of the source survives. */
  mode: number;
}

export interface Skill {
  name: string;
  /** Folder relative to the repo root, POSIX separators ('' is the root itself). */
  path: string;
  /** Frontmatter `version`, or the fingerprint when it has none. */
  version: string;
  versionSource: 'frontmatter' | 'fingerprint';
  /** sha256 hex over the sorted `relative/path:sha256` lines of the skill's files. */
  fingerprint: string;
  description?: string;
  files: SkillFile[];
  /** False when the skill has any error finding. */
  valid: boolean;
}
