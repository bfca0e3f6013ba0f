// What the gateway reported loading after a deploy: one verdict per deployed skill (docs/receiver.md#gateway-check).

/**
 * loaded: listed from the live folder; skipped: not listed from it (with the gateway's reason when it gives one);
 * shadowed: a skill of the same name from another source won; not_eligible: loaded, but missing bins/env/config/os.
 */
export type GatewaySkillState = 'loaded' | 'skipped' | 'shadowed' | 'not_eligible';

export interface GatewaySkillVerdict {
  name: string;
  state: GatewaySkillState;
  reason?: string;
  /** For `shadowed`: the gateway's source name and folder of the skill that won (no folder on /health). */
  shadowedBy?: { source: string; path?: string };
  /** For `not_eligible`: what the gateway says is missing, e.g. `bins: op`, `env: API_KEY`. */
  missing?: string[];
}

export interface GatewayReport {
  mode: 'report' | 'enforce';
  /** pass: every deployed skill loads from the live folder and nothing loaded before went missing. */
  result: 'pass' | 'fail' | 'unknown';
  /** Why the result is not `pass`, in one sentence. */
  problem?: string;
  /** Time from the switch to the gateway reporting the new set (or to the deadline). */
  settledMs: number;
  skills: GatewaySkillVerdict[];
  /** Skills the gateway loaded before the deploy that it no longer lists (and the deploy did not remove). */
  missing: string[];
}
