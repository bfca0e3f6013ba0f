// Skill discovery: one walk of the tree that finds skill folders and assigns every shipped file to its skill.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { limiter, type Limiter } from './concurrency.js';
import { IGNORE_FILES, IgnoreScope, JUNK_DIRS, JUNK_FILES, splitSkillsyncignore } from './ignore.js';

/** DESIGN.md: skills are found at any depth up to 6 below the root. */
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
}

export interface Discovery {
  skills: DiscoveredSkill[];
  /** `fingerprint:<hex>` entries from `.skillsyncignore` files: the secret scanner's allowlist. */
  allowFingerprints: Set<string>;
}

export interface DiscoverOptions {
  /** Parallel readdir calls (default 32). */
  concurrency?: number;
}

const join = (a: string, b: string) => (a ? `${a}/${b}` : b);

export async function discoverSkills(root: string, opts: DiscoverOptions = {}): Promise<Discovery> {
  const limit = limiter(opts.concurrency ?? 32);
  const skills: DiscoveredSkill[] = [];
  const allowFingerprints = new Set<string>();
  await visit({
    root,
    rel: '',
    depth: 0,
    scope: IgnoreScope.root(),
    owner: undefined,
    limit,
    skills,
    allowFingerprints,
  });
  skills.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  for (const s of skills) {
    s.files.sort();
    s.symlinks.sort();
  }
  return { skills, allowFingerprints };
}

interface Visit {
  root: string;
  rel: string;
  depth: number;
  scope: IgnoreScope;
  owner: DiscoveredSkill | undefined;
  limit: Limiter;
  skills: DiscoveredSkill[];
  allowFingerprints: Set<string>;
}

async function visit(v: Visit): Promise<void> {
  const abs = path.join(v.root, v.rel);
  const entries = await v.limit(() => readdir(abs, { withFileTypes: true }).catch(() => []));

  const texts: string[] = [];
  for (const name of IGNORE_FILES) {
    const e = entries.find((x) => x.name === name && x.isFile());
    if (!e) continue;
    const text = await v.limit(() => readFile(path.join(abs, name), 'utf8').catch(() => ''));
    if (name === '.skillsyncignore') {
      const { patterns, fingerprints } = splitSkillsyncignore(text);
      for (const f of fingerprints) v.allowFingerprints.add(f);
      texts.push(patterns);
    } else texts.push(text);
  }
  const scope = v.scope.child(v.rel, texts);

  // A SKILL.md that is a symlink still marks the folder as a skill, so the symlink gets reported, not lost.
  const marker = entries.find((e) => e.name === SKILL_FILE && !e.isDirectory());
  let owner = v.owner;
  if (marker && v.depth <= MAX_SKILL_DEPTH && !scope.ignores(join(v.rel, SKILL_FILE), false)) {
    owner = { dir: v.rel, files: [], symlinks: [] };
    v.skills.push(owner);
  }
  const ownerPrefix = owner ? owner.dir : '';

  const children: Promise<void>[] = [];
  for (const e of entries) {
    const rel = join(v.rel, e.name);
    if (e.isDirectory()) {
      if (JUNK_DIRS.has(e.name) || scope.ignores(rel, true)) continue;
      // Outside any skill nothing deeper than the skill depth limit can matter.
      const nextDepth = v.depth + 1;
      if (!owner && nextDepth > MAX_SKILL_DEPTH) continue;
      if (nextDepth > MAX_WALK_DEPTH) continue;
      children.push(visit({ ...v, rel, depth: nextDepth, scope, owner }));
      continue;
    }
    if (!owner || JUNK_FILES.has(e.name) || scope.ignores(rel, false)) continue;
    const inSkill = ownerPrefix ? rel.slice(ownerPrefix.length + 1) : rel;
    if (e.isFile()) owner.files.push(inSkill);
    else owner.symlinks.push(inSkill);
  }
  await Promise.all(children);
}
