// Skill discovery: one walk of the tree that finds skill folders and assigns every shipped file to its skill.
import path from 'node:path';
import { IGNORE_FILES, IgnoreScope, JUNK_DIRS, JUNK_FILES, splitSkillsyncignore } from './ignore.js';
import { openTreeIO, type DirEntry, type TreeReader } from '../tree-io.js';

/** Skills are found at any depth up to 6 below the root, as deep as the gateway searches (docs/gateway.md). */
export const MAX_SKILL_DEPTH = 6;
/** Inside a skill, folders deeper than this are not walked (a guard against pathological trees). */
const MAX_WALK_DEPTH = 32;
const SKILL_FILE = 'SKILL.md';

export interface DiscoveredSkill {
  /** Skill folder relative to the root, POSIX ('' when the root itself is a skill). */
  dir: string;
  /** Regular files of the skill, relative to its folder, POSIX, sorted. Nested skills are not included. */
  files: string[];
  /** Symlinks (or other non-regular entries) inside the skill, relative to its folder: never shipped. */
  symlinks: string[];
  /**
   * SKILL.md files in sub-folders, relative to the skill folder: the gateway never searches inside a skill, so they
   * are plain files of this skill (docs/gateway.md "Layout"). The root's are skills of their own.
   */
  nested: string[];
}

export interface Discovery {
  skills: DiscoveredSkill[];
  /** `fingerprint:<hex>` entries from `.skillsyncignore` files: the secret scanner's allowlist. */
  allowFingerprints: Set<string>;
}

export interface DiscoverOptions {
  /** I/O to use (default: a worker of its own, closed before returning). */
  io?: TreeReader;
  /** gitignore patterns relative to the root (`.skillsync.yml`): the outermost layer, so ignore files can `!` re-include. */
  ignore?: string[];
}

const join = (a: string, b: string) => (a ? `${a}/${b}` : b);

/** A folder waiting to be listed, with what it inherits from its parent. */
interface Pending {
  rel: string;
  depth: number;
  scope: IgnoreScope;
  owner: DiscoveredSkill | undefined;
}

/**
 * Walks the tree one depth level at a time: every folder of a level is listed in one batch, then their ignore
 * files in another. Order does not matter for the result (everything is sorted at the end).
 */
export async function discoverSkills(root: string, opts: DiscoverOptions = {}): Promise<Discovery> {
  const io = opts.io ?? openTreeIO();
  try {
    return await walk(root, io, opts.ignore ?? []);
  } finally {
    if (!opts.io) await io.close();
  }
}

async function walk(root: string, io: TreeReader, ignore: string[]): Promise<Discovery> {
  const skills: DiscoveredSkill[] = [];
  const allowFingerprints = new Set<string>();
  const top = IgnoreScope.root().child('', ignore.length ? [ignore.join('\n')] : []);
  let level: Pending[] = [{ rel: '', depth: 0, scope: top, owner: undefined }];
  while (level.length > 0) {
    const listings = await io.readdirs(level.map((v) => path.join(root, v.rel)));
    // Ignore files of this level, read in one batch.
    const ignorePaths: string[] = [];
    const ignoreOf = level.map((v, i) => {
      const entries = listings[i] as DirEntry[];
      const at: { name: string; index: number }[] = [];
      for (const name of IGNORE_FILES) {
        if (entries.some(([n, kind]) => n === name && kind === 2)) {
          at.push({ name, index: ignorePaths.length });
          ignorePaths.push(path.join(root, v.rel, name));
        }
      }
      return at;
    });
    const ignoreTexts = await io.readTexts(ignorePaths);

    const next: Pending[] = [];
    level.forEach((v, i) => {
      const entries = listings[i] as DirEntry[];
      const texts: string[] = [];
      for (const { name, index } of ignoreOf[i] as { name: string; index: number }[]) {
        const text = ignoreTexts[index] as string;
        if (name === '.skillsyncignore') {
          const { patterns, fingerprints } = splitSkillsyncignore(text);
          for (const f of fingerprints) allowFingerprints.add(f);
          texts.push(patterns);
        } else texts.push(text);
      }
      const scope = v.scope.child(v.rel, texts);

      // A SKILL.md that is a symlink still marks the folder as a skill, so the symlink gets reported, not lost.
      const marker = entries.some(([n, kind]) => n === SKILL_FILE && kind !== 1);
      let owner = v.owner;
      // Inside a skill a SKILL.md starts nothing new (the gateway does not look there). The root is the exception:
      // beside a nested `skills/` folder the gateway reads the others when the root's own skill does not load.
      const inSkill = owner !== undefined && owner.dir !== '';
      if (
        marker &&
        !inSkill &&
        v.depth <= MAX_SKILL_DEPTH &&
        !scope.ignores(join(v.rel, SKILL_FILE), false)
      ) {
        owner = { dir: v.rel, files: [], symlinks: [], nested: [] };
        skills.push(owner);
      } else if (marker && inSkill && owner && !scope.ignores(join(v.rel, SKILL_FILE), false)) {
        owner.nested.push(join(v.rel, SKILL_FILE).slice(owner.dir.length + 1));
      }
      const ownerPrefix = owner ? owner.dir : '';

      for (const [name, kind] of entries) {
        const rel = join(v.rel, name);
        if (kind === 1) {
          if (JUNK_DIRS.has(name) || scope.ignores(rel, true)) continue;
          // Outside any skill nothing deeper than the skill depth limit can matter.
          const nextDepth = v.depth + 1;
          if (!owner && nextDepth > MAX_SKILL_DEPTH) continue;
          if (nextDepth > MAX_WALK_DEPTH) continue;
          next.push({ rel, depth: nextDepth, scope, owner });
          continue;
        }
        if (!owner || JUNK_FILES.has(name) || scope.ignores(rel, false)) continue;
        const inOwner = ownerPrefix ? rel.slice(ownerPrefix.length + 1) : rel;
        if (kind === 2) owner.files.push(inOwner);
        else owner.symlinks.push(inOwner);
      }
    });
    level = next;
  }
  skills.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  for (const s of skills) {
    s.files.sort();
    s.symlinks.sort();
    s.nested.sort();
  }
  return { skills, allowFingerprints };
}
