// Path confinement: is a path under a root, lexically and after resolving symlinks of what already exists?
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { stateDbFiles, stateDbPath } from '../state/location.js';

/** True when `child` is `root` itself or inside it (both absolute, normalised). */
export function isInside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * The real path of `p` as far as it exists: realpath of the deepest existing ancestor, joined with the rest.
 * A file that does not exist yet can still escape through a symlinked folder above it; this catches that.
 * Returns undefined when an existing entry cannot be resolved (a dangling or looping symlink): callers refuse it,
 * because creating the missing target later would write wherever the link points.
 */
export function realPathSoFar(p: string): string | undefined {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      if (exists(existing)) return undefined;
      const parent = path.dirname(existing);
      if (parent === existing) return path.join(existing, ...rest);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a SYNC.json output must never go, even under the data root (docs/security.md): the engine's folder
 * (`state.json`, releases, the audit trail), the state store (`STATE_DB` and its WAL files) and the live skills.
 * A generator writing `state.json` would reset the highest serial and reopen replays. `extra`: the receiver's or
 * the CLI's actual folders. The receiver and the CLI get the same set from the same environment.
 */
export function protectedPaths(dataRoot: string, extra: readonly (string | undefined)[] = []): string[] {
  const root = path.resolve(dataRoot);
  const all = [
    path.join(root, 'skill-sync'),
    path.join(root, 'skills'),
    ...stateDbFiles(stateDbPath()),
    ...extra,
  ];
  return [...new Set(all.filter((p): p is string => !!p).map((p) => path.resolve(p)))];
}

export interface OutputProblem {
  rule:
    'sync/output-file-outside-data-root' | 'sync/output-file-symlink-escape' | 'sync/output-file-protected';
  message: string;
  fix?: string;
}

/**
 * Why `outputFile` may not be written, or undefined when it may: under the data root, not through a symlink that
 * leaves it, and not in a protected folder, lexically or once symlinks are resolved. The same rule at validation
 * and just before a generator's output is renamed into place (a symlink may have appeared in between).
 */
export function outputProblem(
  outputFile: string,
  dataRoot: string,
  guarded: readonly string[],
): OutputProblem | undefined {
  const root = path.resolve(dataRoot);
  // `..` is refused outright, even when it would normalise back inside: it hides where the file goes.
  if (outputFile.split('/').includes('..')) {
    return {
      rule: 'sync/output-file-outside-data-root',
      message: `outputFile '${outputFile}' must not contain '..'`,
      fix: `write it as a plain path under ${root}`,
    };
  }
  const target = path.normalize(outputFile);
  if (!isInside(target, root) || target === root) {
    return {
      rule: 'sync/output-file-outside-data-root',
      message: `outputFile '${outputFile}' is outside the data root ${root}`,
      fix: `put it under ${root}/`,
    };
  }
  const realRoot = realPathSoFar(root);
  const realTarget = realPathSoFar(target);
  if (realRoot === undefined || realTarget === undefined || !isInside(realTarget, realRoot)) {
    return {
      rule: 'sync/output-file-symlink-escape',
      message: `outputFile '${outputFile}' resolves through a symlink to ${realTarget ?? 'an unresolvable link'}, outside the data root ${realRoot ?? root}`,
      fix: 'use a real folder under the data root',
    };
  }
  for (const p of guarded) {
    const realP = realPathSoFar(p) ?? p;
    if (isInside(target, p) || isInside(realTarget, realP)) {
      return {
        rule: 'sync/output-file-protected',
        message: `outputFile '${outputFile}' is inside ${p}, which holds skill-sync's own files or the live skills`,
        fix: `put it elsewhere under ${root}/, e.g. ${path.join(root, 'workspace', path.basename(target))}`,
      };
    }
  }
  return undefined;
}
