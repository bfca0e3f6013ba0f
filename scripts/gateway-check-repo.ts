// Checks a real skills tree against the pinned gateway: skill-sync's verdict per skill beside what the gateway loads.
import path from 'node:path';
import { checkRepo } from '../core/check.js';
import { PLACEMENTS, type Placement } from '../core/gateway/discovery.js';
import { GATEWAY_ID } from '../core/gateway/pin.js';
import { deploy } from './gateway/differential.js';
import {
  askGateway,
  gatewayRuntime,
  newGatewayState,
  removeGatewayState,
  SOURCE_OF,
} from './gateway/oracle.js';

export interface RepoVerdict {
  /** Skills the gateway lists from the live folder, and how many skill-sync says load. */
  listed: number;
  valid: number;
  /** Per skill name: does the gateway list it, does skill-sync say one of that name loads. */
  names: {
    name: string;
    paths: string[];
    gateway: boolean;
    skillSync: boolean;
    reasons: string[];
    errors: string[];
  }[];
}

/**
 * Deploys `dir` as a deploy would and asks the gateway what it loads. The gateway lists skills by name only (it keeps
 * one per name), so the verdicts are compared per name, and the counts as a whole.
 */
export async function checkAgainstGateway(
  dir: string,
  placement: Placement = 'managed',
): Promise<RepoVerdict> {
  const result = await checkRepo(dir, { placement });
  const state = await newGatewayState();
  try {
    const live = placement === 'managed' ? state.managedDir : path.join(state.extraBase, 'skills');
    await deploy(dir, live);
    const answer = await askGateway(gatewayRuntime(), state, placement === 'extra' ? [live] : []);
    // Ours only: from extraDirs the gateway's plugin skills carry the same source.
    const listed = answer.skills.filter(
      (g) =>
        g.source === SOURCE_OF[placement] &&
        result.skills.some((s) => s.name === g.name && s.description === g.description),
    );
    // A cap warning says the gateway will not load the skill, though the repo is fine: it counts as not loading.
    const capRules = new Set(['gateway/skill-cap', 'gateway/scan-cap']);
    const loads = (s: (typeof result.skills)[number]) =>
      s.valid &&
      !result.findings.some(
        (f) => capRules.has(f.rule) && f.file === (s.path ? `${s.path}/SKILL.md` : 'SKILL.md'),
      );
    const byName = new Map<string, RepoVerdict['names'][number]>();
    for (const s of result.skills) {
      const row = byName.get(s.name) ?? {
        name: s.name,
        paths: [],
        gateway: listed.some((g) => g.name === s.name),
        skillSync: false,
        reasons: [],
        errors: [],
      };
      row.paths.push(s.path || '.');
      row.skillSync ||= loads(s);
      const file = path.relative(state.dir, path.join(live, s.path, 'SKILL.md'));
      const skipped = answer.skipped.find((k) => k.file === file);
      if (skipped) row.reasons.push(skipped.reason);
      const mine = (f: string) => (s.path === '' ? !f.includes('/') : f.startsWith(`${s.path}/`));
      for (const f of result.findings)
        if (f.severity === 'error' && mine(f.file) && !row.errors.includes(f.rule)) row.errors.push(f.rule);
      byName.set(s.name, row);
    }
    return {
      listed: listed.length,
      valid: result.skills.filter(loads).length,
      names: [...byName.values()],
    };
  } finally {
    await removeGatewayState(state);
  }
}

const [dir, flag, value] = process.argv.slice(2);
if (dir && process.argv[1]?.endsWith('gateway-check-repo.js')) {
  const placement = (flag === '--placement' ? value : 'managed') as Placement;
  if (!PLACEMENTS.includes(placement)) throw new Error(`--placement must be one of ${PLACEMENTS.join(', ')}`);
  const v = await checkAgainstGateway(dir, placement);
  const agree = v.names.filter((n) => n.gateway === n.skillSync);
  process.stdout.write(
    `${GATEWAY_ID}, placement ${placement}: the gateway loads ${v.listed} skills from the live folder, skill-sync says ${v.valid} load; per name they agree on ${agree.length}/${v.names.length}\n`,
  );
  for (const n of v.names.filter((x) => !x.gateway || !x.skillSync || x.gateway !== x.skillSync)) {
    process.stdout.write(
      `  ${n.name} (${n.paths.join(', ')}): gateway ${n.gateway ? 'loads it' : 'drops it'}${n.reasons.length ? ` (${n.reasons.join('; ')})` : ''}; skill-sync ${n.skillSync ? 'loads it' : `error [${n.errors.join(', ')}]`}\n`,
    );
  }
  process.exitCode = agree.length === v.names.length && v.listed === v.valid ? 0 : 1;
}
