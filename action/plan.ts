// Deploy plan for pull requests: read the receiver's live state and diff it against the skills in this change.
import type { Skill } from '../core/skill/model.js';
import type { DeployPlan, PlanSkill } from '../core/report.js';
import { displayUrl, withApiPath } from '../core/delivery.js';
import { redactSecrets } from '../core/secrets/scan.js';
import { describeNetworkError } from '../core/net-error.js';
import { fetchWithTimeout } from '../core/fetch.js';

export interface LiveState {
  deploymentId: string | null;
  serial: number | null;
  commit: string | null;
  appliedAt: string | null;
  skills: PlanSkill[];
}

const EMPTY: LiveState = { deploymentId: null, serial: null, commit: null, appliedAt: null, skills: [] };

/** GET `<plan-url>/v1/state` with `x-api-key`; 404 means nothing is live. Throws a one-line, scrubbed error. */
export async function fetchLiveState(
  planUrl: string,
  apiKey: string | undefined,
  timeoutMs: number,
): Promise<LiveState> {
  const url = withApiPath(planUrl, '/v1/state');
  const shown = displayUrl(url);
  let res: Response;
  try {
    res = await fetchWithTimeout(url, {
      headers: { accept: 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
      timeoutMs,
      redirect: 'error',
    });
  } catch (err) {
    throw new Error(`plan/unreachable: ${shown}: ${describeNetworkError(err)}`);
  }
  if (res.status === 404) return EMPTY;
  const text = await res.text();
  if (!res.ok) throw new Error(`plan/http-${res.status}: ${shown}: ${redactSecrets(text.slice(0, 200))}`);
  let body: Partial<LiveState>;
  try {
    body = JSON.parse(text) as Partial<LiveState>;
  } catch {
    throw new Error(`plan/bad-json: ${shown} did not answer JSON`);
  }
  return {
    deploymentId: body.deploymentId ?? null,
    serial: body.serial ?? null,
    commit: body.commit ?? null,
    appliedAt: body.appliedAt ?? null,
    skills: Array.isArray(body.skills) ? body.skills.filter((s) => s && typeof s.name === 'string') : [],
  };
}

/** Compared by name; a skill changed when its fingerprint differs (the version alone may not move). */
export function computePlan(
  live: LiveState,
  skills: Pick<Skill, 'name' | 'version' | 'fingerprint'>[],
): DeployPlan {
  const liveByName = new Map(live.skills.map((s) => [s.name, s]));
  const next = new Map(
    skills.map((s) => [s.name, { name: s.name, version: s.version, fingerprint: s.fingerprint }]),
  );
  const plan: DeployPlan = {
    live: {
      deploymentId: live.deploymentId,
      serial: live.serial,
      commit: live.commit,
      appliedAt: live.appliedAt,
    },
    added: [],
    changed: [],
    removed: [],
    unchanged: 0,
  };
  for (const s of [...next.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const old = liveByName.get(s.name);
    if (!old) plan.added.push(s);
    else if (old.fingerprint !== s.fingerprint) plan.changed.push({ name: s.name, from: old, to: s });
    else plan.unchanged++;
  }
  for (const s of [...liveByName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!next.has(s.name)) plan.removed.push(s);
  }
  return plan;
}
