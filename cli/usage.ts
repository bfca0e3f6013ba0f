// Exit codes, the usage error and "did you mean": what every command and the entry point share, kept light so
// that `skill-sync --version` and `skill-sync help` load nothing else.
import { closest, distance } from 'fastest-levenshtein';

/** Exit codes (docs/cli.md): 0 ok, 1 findings or refused, 2 usage or config error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export class UsageError extends Error {}

/**
 * The closest known word to a mistyped one, when it is close enough to be a typo: within a third of its length
 * (at least 1, at most 3 edits), or the only word that starts with it (`--req` for `--required-fields`).
 */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(typed, known);
  const allowed = Math.min(3, Math.max(1, Math.floor(typed.replace(/^-+/, '').length / 3)));
  if (distance(typed, best) <= allowed) return best;
  const prefixed = typed.length >= 3 ? known.filter((k) => k.startsWith(typed)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
