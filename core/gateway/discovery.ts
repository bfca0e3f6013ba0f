// Which skill folders the pinned gateway reads in a deployed tree: a port of its discovery (docs/gateway.md "Layout").
//
// OpenClaw 2026.9.6, dist/skill-root-discovery-*.mjs (discoverSkillCandidates) and dist/plugin-skills-*.mjs
// (loadSkillRootRecords), run on the live folder as one skill root:
// - folders whose name starts with `.` and `node_modules` are never listed; children are sorted and at most
//   `maxCandidatesPerRoot` (300) of each listing are scanned;
// - a folder holding SKILL.md is a skill and nothing inside it is searched; other folders are searched to depth 6,
//   or only 2 when the root is an `extraDirs` entry not named `skills` (outside a nested `skills/` folder);
// - a root without SKILL.md whose `skills/` subfolder holds a skill, and that holds none elsewhere, is read from
//   `skills/` only; a root SKILL.md beside such a `skills/` is loaded alone when it loads;
// - candidates load in name order (localeCompare of their path) until `maxSkillsLoadedPerSource` (200) loaded.

export type Placement = 'managed' | 'extra';

export const PLACEMENTS: readonly Placement[] = ['managed', 'extra'];

/** The gateway's defaults (`skills.limits`), from DEFAULT_* in dist/skill-root-discovery-*.mjs. */
export const GATEWAY_LIMITS = {
  maxCandidatesPerRoot: 300,
  maxSkillsLoadedPerSource: 200,
  maxSkillFileBytes: 256_000,
} as const;

const MAX_GROUPED_SKILL_SCAN_DEPTH = 6;
const MAX_CONFIGURED_ROOT_GROUPED_SKILL_SCAN_DEPTH = 2;

export interface DeployedTree {
  /** Every folder of the deployed tree, relative and POSIX ('' is the root). */
  dirs: ReadonlySet<string>;
  /** The folders among them that hold a SKILL.md. */
  skillDirs: ReadonlySet<string>;
  /** The live folder's own name: an `extraDirs` root named `skills` is searched 6 deep, others 2. */
  rootName: string;
}

export interface GatewayScan {
  /** Skill folders the gateway reads SKILL.md of, in its load order. */
  candidates: string[];
  /** The root's SKILL.md when the gateway tries it alone first (beside a nested `skills/`). */
  rootCandidate?: string;
  /** True when the root itself is the one skill. */
  rootIsSkill: boolean;
  /** The folder the gateway reads skills from ('' or 'skills'). */
  base: string;
  /** Listings with more child folders than the gateway scans: folder → child count. */
  overfull: Map<string, number>;
}

const join = (a: string, b: string) => (a ? `${a}/${b}` : b);
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Children of every folder, computed once. */
function childIndex(tree: DeployedTree): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const d of tree.dirs) {
    if (!d) continue;
    const slash = d.lastIndexOf('/');
    const parent = slash === -1 ? '' : d.slice(0, slash);
    const list = index.get(parent);
    if (list) list.push(d.slice(slash + 1));
    else index.set(parent, [d.slice(slash + 1)]);
  }
  return index;
}

/** What the gateway reads from the deployed tree (discoverSkillCandidates). */
export function scanDeployedTree(
  tree: DeployedTree,
  placement: Placement,
  maxCandidates: number = GATEWAY_LIMITS.maxCandidatesPerRoot,
): GatewayScan {
  const index = childIndex(tree);
  const overfull = new Map<string, number>();
  /** listChildDirectories: no dot-folders, no node_modules, sorted (code units). */
  const children = (dir: string): string[] =>
    (index.get(dir) ?? []).filter((n) => !n.startsWith('.') && n !== 'node_modules').sort();
  const hasSkill = (dir: string) => tree.skillDirs.has(dir);

  const base = nestedSkillsRoot(tree, children, hasSkill, maxCandidates);
  if (hasSkill(base)) return { candidates: [base], rootIsSkill: true, base, overfull };

  const childDirs = children(base);
  if (childDirs.length > maxCandidates) overfull.set(base, childDirs.length);
  const limited = childDirs.slice(0, maxCandidates);
  if (childDirs.includes('skills') && !limited.includes('skills')) limited.push('skills');
  const rootCandidate = base !== '' && hasSkill('') ? '' : undefined;
  const nestedRoot = join(base, 'skills');
  const baseIsNestedSkillsRoot = base === 'skills';
  const baseLooksLikeSkillsRoot = (base === '' ? tree.rootName : basename(base)) === 'skills';

  const found: { dir: string; name: string }[] = [];
  const queue = limited.map((name) => ({
    dir: join(base, name),
    name,
    depth: name === 'skills' && !hasSkill(join(base, name)) ? 0 : 1,
  }));
  for (const c of queue) {
    if (hasSkill(c.dir)) {
      found.push({ dir: c.dir, name: c.name });
      continue;
    }
    const insideNested = c.dir === nestedRoot || c.dir.startsWith(`${nestedRoot}/`);
    const maxDepth =
      placement === 'extra' && !baseIsNestedSkillsRoot && !baseLooksLikeSkillsRoot && !insideNested
        ? MAX_CONFIGURED_ROOT_GROUPED_SKILL_SCAN_DEPTH
        : MAX_GROUPED_SKILL_SCAN_DEPTH;
    if (c.depth >= maxDepth) continue;
    const nested = children(c.dir);
    if (nested.length > maxCandidates) overfull.set(c.dir, nested.length);
    for (const n of nested.slice(0, maxCandidates)) {
      queue.push({ dir: join(c.dir, n), name: `${c.name}/${n}`, depth: c.depth + 1 });
    }
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  return {
    candidates: found.map((f) => f.dir),
    ...(rootCandidate !== undefined ? { rootCandidate } : {}),
    rootIsSkill: false,
    base,
    overfull,
  };
}

/** resolveNestedSkillsRoot: read `skills/` instead of the root when only it holds skills. */
function nestedSkillsRoot(
  tree: DeployedTree,
  children: (dir: string) => string[],
  hasSkill: (dir: string) => boolean,
  maxCandidates: number,
): string {
  if (!tree.dirs.has('skills')) return '';
  const bfs = (
    start: string,
    skipTop: string | undefined,
    found: (dir: string, depth: number) => boolean,
  ) => {
    const queue = [{ dir: start, depth: 0 }];
    for (const c of queue) {
      if (found(c.dir, c.depth)) return true;
      if (c.depth >= MAX_GROUPED_SKILL_SCAN_DEPTH) continue;
      for (const n of children(c.dir).slice(0, maxCandidates)) {
        if (c.depth === 0 && n === skipTop) continue;
        queue.push({ dir: join(c.dir, n), depth: c.depth + 1 });
      }
    }
    return false;
  };
  if (!hasSkill('') && bfs('', 'skills', (d, depth) => depth > 0 && hasSkill(d))) return '';
  return bfs('skills', undefined, (d) => hasSkill(d)) ? 'skills' : '';
}

export interface GatewayLoad {
  /** Folders whose skill the gateway loads from this root. */
  loaded: string[];
  /** Folders that load on their own but are past `maxSkillsLoadedPerSource`. */
  capped: string[];
  /** Folders the gateway would load, but never reads: the root skill loaded alone. */
  besideRoot: string[];
}

/** loadSkillRootRecords: which candidates load, given which SKILL.md files parse to a skill. */
export function loadFromScan(
  scan: GatewayScan,
  loads: (dir: string) => boolean,
  maxPerSource: number = GATEWAY_LIMITS.maxSkillsLoadedPerSource,
): GatewayLoad {
  if (scan.rootCandidate !== undefined && loads(scan.rootCandidate)) {
    return { loaded: [scan.rootCandidate], capped: [], besideRoot: scan.candidates.filter(loads) };
  }
  const loaded: string[] = [];
  const capped: string[] = [];
  for (const dir of scan.candidates) {
    if (!loads(dir)) continue;
    if (!scan.rootIsSkill && loaded.length >= maxPerSource) capped.push(dir);
    else loaded.push(dir);
  }
  return { loaded, capped, besideRoot: [] };
}
