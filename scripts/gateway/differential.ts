// Runs the corpus through `skill-sync validate` and through the pinned gateway, and lines the verdicts up.
import { copyFile, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkRepo, type CheckResult } from '../../core/check.js';
import type { Placement } from '../../core/gateway/discovery.js';
import { discoverSkills } from '../../core/skill/discover.js';
import { corpus, SHARED_ROOT, type Case } from './corpus.js';
import {
  askGateway,
  gatewayRuntime,
  newGatewayState,
  removeGatewayState,
  SOURCE_OF,
  type GatewayAnswer,
  type GatewayState,
} from './oracle.js';

/** `capped`: a cap warning says the gateway does not load it (the issue asks for warnings there, not errors). */
export type SkillSyncVerdict = 'loads' | 'capped' | 'error' | 'not shipped';

export interface Row {
  id: string;
  group: Case['group'];
  title: string;
  placement: Placement;
  /** The gateway's verdict: does it list the skill from the deployed folder? */
  gateway: 'loaded' | 'dropped';
  /** Its reason when it said so (`Skipping invalid skill`), else why it is absent. */
  gatewayReason?: string;
  skillSync: SkillSyncVerdict;
  /** Rule ids of skill-sync's findings on this skill (`warning:rule` / `error:rule`). */
  findings: string[];
  /** When both load: the description skill-sync computed equals the one the gateway lists. */
  sameDescription?: boolean;
  agree: boolean;
}

/** Writes a case root as an author would have it (links included). */
async function writeRoot(dir: string, cases: Case[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const links: [string, string][] = [];
  for (const c of cases) {
    for (const [rel, content] of Object.entries(c.files)) {
      const file = path.join(dir, rel);
      await mkdir(path.dirname(file), { recursive: true });
      if (typeof content === 'string' || Buffer.isBuffer(content)) await writeFile(file, content);
      else if ('symlink' in content) await symlink(content.symlink, file);
      else links.push([path.join(dir, content.hardlink), file]);
    }
  }
  for (const [from, to] of links) await link(from, to);
}

/** The deployed folder: what a deploy writes, every discovered skill's regular files at their own paths. */
export async function deploy(src: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const { skills } = await discoverSkills(src);
  for (const s of skills) {
    for (const f of s.files) {
      const rel = s.dir ? `${s.dir}/${f}` : f;
      await mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
      await copyFile(path.join(src, rel), path.join(dest, rel));
    }
  }
}

interface Root {
  id: string;
  cases: Case[];
  src: string;
}

function rootName(id: string): string {
  return id === SHARED_ROOT ? 'skills' : id;
}

function verdictOf(
  result: CheckResult,
  c: Case,
): { verdict: SkillSyncVerdict; findings: string[]; description?: string } {
  const skill = result.skills.find((s) => s.path === c.dir);
  const mine = (file: string) =>
    c.dir === '' ? !file.includes('/') : file === `${c.dir}/SKILL.md` || file.startsWith(`${c.dir}/`);
  const findings = result.findings.filter((f) => mine(f.file)).map((f) => `${f.severity}:${f.rule}`);
  if (!skill) return { verdict: 'not shipped', findings };
  const capped = findings.some((f) => f === 'warning:gateway/skill-cap' || f === 'warning:gateway/scan-cap');
  return {
    verdict: !skill.valid ? 'error' : capped ? 'capped' : 'loads',
    findings,
    ...(skill.description !== undefined ? { description: skill.description } : {}),
  };
}

/** Every case under every placement it is asked in: two gateway calls in all, run side by side. */
export async function runDifferential(): Promise<Row[]> {
  const cases = corpus();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'differential-'));
  const rt = gatewayRuntime();
  const states: Record<Placement, GatewayState> = {
    managed: await newGatewayState(),
    extra: await newGatewayState(),
  };
  try {
    const roots = new Map<string, Root>();
    for (const c of cases) {
      const id = c.root ?? SHARED_ROOT;
      const r = roots.get(id) ?? { id, cases: [], src: path.join(tmp, 'src', id, rootName(id)) };
      r.cases.push(c);
      roots.set(id, r);
    }
    for (const r of roots.values()) await writeRoot(r.src, r.cases);

    const deployed = (p: Placement, r: Root) =>
      p === 'managed' ? states.managed.managedDir : path.join(states.extra.extraBase, r.id, rootName(r.id));
    const checks = new Map<string, CheckResult>();
    const extraDirs: string[] = [];
    for (const p of ['managed', 'extra'] as const) {
      for (const r of roots.values()) {
        if (!r.cases.some((c) => c.placements?.includes(p))) continue;
        await deploy(r.src, deployed(p, r));
        if (p === 'extra') extraDirs.push(deployed(p, r));
        checks.set(`${p}:${r.id}`, await checkRepo(r.src, { placement: p, rootName: rootName(r.id) }));
      }
    }
    const [managed, extra] = await Promise.all([
      askGateway(rt, states.managed),
      askGateway(rt, states.extra, extraDirs),
    ]);
    const answers: Record<Placement, GatewayAnswer> = { managed, extra };

    const rows: Row[] = [];
    for (const c of cases) {
      const r = roots.get(c.root ?? SHARED_ROOT) as Root;
      for (const p of c.placements ?? []) {
        const answer = answers[p];
        const listed = answer.skills.find(
          (s) =>
            s.name === c.name &&
            s.source === SOURCE_OF[p] &&
            (c.description === undefined || s.description === c.description),
        );
        const skillMd = path.relative(states[p].dir, path.join(deployed(p, r), c.dir, 'SKILL.md'));
        const skipped = answer.skipped.find((s) => s.file === skillMd);
        const mine = verdictOf(checks.get(`${p}:${r.id}`) as CheckResult, c);
        const gateway = listed ? 'loaded' : 'dropped';
        const sameDescription =
          listed && mine.verdict === 'loads' ? mine.description === listed.description : undefined;
        rows.push({
          id: c.id,
          group: c.group,
          title: c.title,
          placement: p,
          gateway,
          ...(skipped ? { gatewayReason: skipped.reason } : {}),
          skillSync: mine.verdict,
          findings: mine.findings,
          ...(sameDescription !== undefined ? { sameDescription } : {}),
          agree: (gateway === 'loaded') === (mine.verdict === 'loads') && sameDescription !== false,
        });
      }
    }
    return rows;
  } finally {
    await Promise.all([removeGatewayState(states.managed), removeGatewayState(states.extra)]);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The agreement table as Markdown: one line per case and placement, then the totals. */
export function renderTable(rows: Row[]): string {
  const agreed = rows.filter((r) => r.agree).length;
  const cases = new Set(rows.map((r) => r.id)).size;
  const out = [
    `${cases} cases, ${rows.length} verdicts (case × placement): ${agreed}/${rows.length} agree (${((100 * agreed) / rows.length).toFixed(1)}%)`,
    '',
    '(skill-sync: `loads`; `error`; `capped`, a cap warning saying the gateway does not load it; `not shipped`.)',
    '',
    '| case | group | placement | gateway | skill-sync | findings | agree |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const gw =
      r.gateway === 'dropped' && r.gatewayReason
        ? `dropped (${r.gatewayReason.replaceAll('|', '\\|').slice(0, 90)})`
        : r.gateway;
    out.push(
      `| ${r.id} | ${r.group} | ${r.placement} | ${gw} | ${r.skillSync} | ${r.findings.join(', ')} | ${r.agree ? 'yes' : '**NO**'}${r.sameDescription === false ? ' (description differs)' : ''} |`,
    );
  }
  return out.join('\n') + '\n';
}
