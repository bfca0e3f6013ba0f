// History queries over audit records: newest-first listing, and "which version of skill X was live at time T".
import type { AuditRecord, AuditSkill, HistoryQuery } from './types.js';

/** Newest first; `skill` keeps the attempts whose bundle carried that skill. */
export function filterHistory(records: readonly AuditRecord[], q: HistoryQuery = {}): AuditRecord[] {
  const out = [...records]
    .sort((a, b) => b.seq - a.seq)
    .filter((r) => !q.skill || (r.skills ?? []).some((s) => s.name === q.skill));
  return q.limit !== undefined ? out.slice(0, Math.max(0, q.limit)) : out;
}

export interface LiveVersion extends AuditSkill {
  deploymentId: string;
  /** When that deployment went live. */
  since: string;
  seq: number;
}

/**
 * The live set at `time` is the skills of the last successful attempt at or before it (a rollback that succeeded
 * is such an attempt, carrying the release it went back to). Undefined when nothing was live or X was not in it.
 */
export function liveAt(
  records: readonly AuditRecord[],
  skill: string,
  time: string | Date,
): LiveVersion | undefined {
  const t = typeof time === 'string' ? Date.parse(time) : time.getTime();
  if (Number.isNaN(t)) throw new Error(`audit: invalid time '${String(time)}'`);
  let live: AuditRecord | undefined;
  for (const r of records) {
    if (r.status !== 'success' || Date.parse(r.timestamp) > t) continue;
    if (!live || r.seq > live.seq) live = r;
  }
  const s = live?.skills?.find((k) => k.name === skill);
  if (!live || !s) return undefined;
  return { ...s, deploymentId: live.deploymentId, since: live.timestamp, seq: live.seq };
}
