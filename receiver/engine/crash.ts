// Crash injection for the crash-safety harness: SIGKILL at a named step when SKILL_SYNC_CRASH_AT says so.

/** Named steps of apply/rollback, in the order they happen. `mid-journal:<n>` = after n in-place file ops. */
export const CRASH_STEPS = [
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

export type CrashStep = (typeof CRASH_STEPS)[number];

/** The n of a `mid-journal:<n>` crash the environment asks for, for ops that run outside this thread. */
export function crashAfterOps(): number | null {
  const m = /^mid-journal:(\d+)$/.exec(process.env.SKILL_SYNC_CRASH_AT ?? '');
  return m ? Number(m[1]) : null;
}

/** Dies on the spot, like a power cut or OOM kill, if the environment asks for this step. */
export function crashPoint(step: CrashStep | `mid-journal:${number}`): void {
  if (process.env.SKILL_SYNC_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}
