// Path confinement: is a path under a root, lexically and after resolving symlinks of what already exists?
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

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
