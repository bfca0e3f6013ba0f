// Failpoints: named places in apply/rollback where a crash test kills the process, armed only by the
// SKILL_SYNC_CRASH_AT environment variable (docs/runbook.md); unarmed, each call is one string comparison.

/** The failpoints, in the order a deploy reaches them. `mid-journal:<n>` = after n in-place file ops. */
export const FAILPOINTS = [
  'after-staging',
  'after-release',
  'before-switch',
  'after-journal',
  'mid-journal',
  'mid-switch',
  'after-switch',
  'before-state',
  'after-state',
  'before-prune',
  'after-prune',
] as const;

export type Failpoint = (typeof FAILPOINTS)[number];

/** Hits per counted failpoint, in this thread: the I/O workers count their own file ops. */
const hits = new Map<Failpoint, number>();

/**
 * Dies on the spot, like a power cut or OOM kill, when the test armed this failpoint: by its name, or, for a
 * failpoint reached once per op (`mid-journal`), by `name:<n>` for the n-th time this thread reaches it.
 */
export function failpoint(name: Failpoint): void {
  const armed = process.env.SKILL_SYNC_CRASH_AT;
  if (!armed) return;
  if (armed === name) process.kill(process.pid, 'SIGKILL');
  if (!armed.startsWith(`${name}:`)) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (armed === `${name}:${n}`) process.kill(process.pid, 'SIGKILL');
}
