// Finds skills (folders with SKILL.md) under the live skills directories and notes which carry a SYNC.json.
// Read-only: the live directory may be a read-only release, so nothing here writes or assumes write access.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SYNC_FILE } from './sync-manifest.js';

export const DEFAULT_SKILLS_DIR = '/data/skills';
const MAX_DEPTH = 6;
const JUNK = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'dist', 'build']);

export interface SyncSkill {
  /** Frontmatter `name`, else the folder name. */
  name: string;
  /** Absolute skill folder. */
  dir: string;
  /** The skills directory it was found under. */
  root: string;
  /** Absolute SYNC.json path, when the skill has one. */
  syncFile?: string;
}

/** `SKILLS_DIR` (or /data/skills) first, then each `--skills-dir`, without repeats. */
export function skillsDirs(extra: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const first = env.SKILLS_DIR && env.SKILLS_DIR.trim() !== '' ? env.SKILLS_DIR : DEFAULT_SKILLS_DIR;
  return [...new Set([first, ...extra].map((d) => path.resolve(d)))];
}

/** The gateway reads `name` from YAML frontmatter, falling back to a `name:` line; so do we. */
export function skillName(skillMd: string, fallback: string): string {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(skillMd);
  if (!m) return fallback;
  try {
    const fm = parseYaml(m[1] as string, { maxAliasCount: 10 }) as unknown;
    if (fm && typeof fm === 'object' && typeof (fm as Record<string, unknown>).name === 'string') {
      const name = ((fm as Record<string, unknown>).name as string).trim();
      if (name) return name;
    }
  } catch {
    const line = /^name:\s*(.+?)\s*$/m.exec(m[1] as string);
    if (line?.[1]) return line[1];
  }
  return fallback;
}

/** Every skill under the given roots, sorted by name then folder. Missing roots are skipped. */
export function discoverSkills(roots: string[]): SyncSkill[] {
  const found: SyncSkill[] = [];
  const seen = new Set<string>();
  const walk = (root: string, dir: string, depth: number): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    // Symlinked folders are followed (the live set may be a symlink to a release), but never twice.
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    if (names.has('SKILL.md')) {
      let md = '';
      try {
        md = readFileSync(path.join(dir, 'SKILL.md'), 'utf8');
      } catch {
        /* unreadable SKILL.md: still a skill, named by its folder */
      }
      const skill: SyncSkill = { name: skillName(md, path.basename(dir)), dir, root };
      if (names.has(SYNC_FILE)) skill.syncFile = path.join(dir, SYNC_FILE);
      found.push(skill);
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (JUNK.has(e.name) || e.name.startsWith('.')) continue;
      const child = path.join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(child))) walk(root, child, depth + 1);
    }
  };
  for (const root of roots) walk(root, root, 0);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir.localeCompare(b.dir)));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
