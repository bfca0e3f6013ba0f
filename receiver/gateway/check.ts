// Gateway check: after a switch, ask the running gateway (`skills.status`) what it loaded (docs/receiver.md#gateway-check).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { GatewayReport, GatewaySkillVerdict } from '../../core/gateway/report.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';
import { parseFrontmatter } from '../../core/skill/frontmatter.js';
import type { Log } from '../log.js';
import { skillFolder } from '../engine/tree.js';
import { GatewayClient, type GatewaySkill, type SkillsStatus } from './client.js';

export interface GatewayCheckConfig {
  mode: 'report' | 'enforce';
  url: string;
  token?: string;
  /** Deadline from the switch for the gateway's watcher to show the new set. */
  settleMs: number;
}

/** What the live folder should show once the gateway has reloaded. */
export interface GatewayTarget {
  manifest: BundleManifest;
  /** The live manifest before the switch (its skills the deploy removes may disappear). */
  previous: BundleManifest | null;
  liveDir: string;
}

interface Expected {
  name: string;
  dirs: Set<string>;
  description?: string;
}

const POLL_GAP_MS = 25;

/** Starts one check per switch: `begin()` before it, `verify()` after it. */
export class GatewayCheck {
  constructor(
    readonly cfg: GatewayCheckConfig,
    private readonly log?: Log,
  ) {}

  /** Before the switch: connect and note what the gateway loads now. Never throws. */
  async begin(liveDir: string): Promise<GatewaySession> {
    const s = new GatewaySession(this.cfg, this.log);
    await s.open(liveDir);
    return s;
  }
}

export class GatewaySession {
  private client: GatewayClient | null = null;
  private before: SkillsStatus | null = null;
  private beforeDir: string | null = null;
  private lastError = 'not asked';

  constructor(
    private readonly cfg: GatewayCheckConfig,
    private readonly log?: Log,
  ) {}

  async open(liveDir: string): Promise<void> {
    this.beforeDir = await realpath(liveDir).catch(() => null);
    this.before = await this.status(Math.min(this.cfg.settleMs, 5000));
  }

  /** After the switch: polls `skills.status` until it shows the target or the deadline passes. */
  async verify(target: GatewayTarget, switchedAt: number): Promise<GatewayReport> {
    const deadline = switchedAt + this.cfg.settleMs;
    const expected = await expectations(target);
    const names = new Set(target.manifest.skills.map((s) => s.name));
    const removed = new Set((target.previous?.skills ?? []).map((s) => s.name).filter((n) => !names.has(n)));
    // In report mode a gateway that was down before the switch is not waited for: it is recorded as unknown.
    const wait = this.cfg.mode === 'enforce' || this.before !== null;
    let last: SkillsStatus | null = null;
    for (;;) {
      const left = deadline - performance.now();
      const got = await this.status(Math.max(1, Math.min(left, 5000)));
      if (got) last = got;
      if (last && this.settled(last, expected, removed)) break;
      if (!wait || performance.now() + POLL_GAP_MS >= deadline) break;
      await new Promise((r) => setTimeout(r, POLL_GAP_MS));
    }
    const settledMs = Math.round(performance.now() - switchedAt);
    return this.judge(last, expected, removed, settledMs);
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private async status(timeoutMs: number): Promise<SkillsStatus | null> {
    try {
      this.client ??= await GatewayClient.connect(this.cfg.url, this.cfg.token, timeoutMs);
      return await this.client.skillsStatus(timeoutMs);
    } catch (err) {
      this.client?.close();
      this.client = null;
      this.lastError = (err as Error).message;
      return null;
    }
  }

  private settled(st: SkillsStatus, expected: Expected[], removed: Set<string>): boolean {
    for (const e of expected) {
      const hit = st.skills.find((g) => e.dirs.has(g.baseDir));
      if (!hit || (e.description !== undefined && hit.description?.trim() !== e.description)) return false;
    }
    // A removed skill still listed from where the live folder pointed before: the gateway has not rescanned yet.
    const old = this.beforeDir;
    return !st.skills.some((g) => removed.has(g.name) && old !== null && isInside(old, g.baseDir));
  }

  private judge(
    st: SkillsStatus | null,
    expected: Expected[],
    removed: Set<string>,
    settledMs: number,
  ): GatewayReport {
    const mode = this.cfg.mode;
    if (!st) {
      return {
        mode,
        result: 'unknown',
        problem: `the gateway did not answer skills.status within ${this.cfg.settleMs} ms (${this.lastError})`,
        settledMs,
        skills: [],
        missing: [],
      };
    }
    const skills = expected.map((e) => verdict(e, st.skills));
    const listed = new Set(st.skills.map((g) => g.name));
    const missing = this.before
      ? [...new Set(this.before.skills.map((g) => g.name))]
          .filter((n) => !listed.has(n) && !removed.has(n))
          .sort()
      : [];
    // Served = listed from the live folder, whatever the gateway's config then does with it.
    const bad = skills.filter((s, i) => !st.skills.some((g) => expected[i]?.dirs.has(g.baseDir)));
    const problems: string[] = [];
    if (bad.length)
      problems.push(
        `${bad.length} deployed skill(s) not served from the live folder: ` +
          bad
            .slice(0, 5)
            .map(
              (s) =>
                `${s.name} (${s.state === 'shadowed' ? `shadowed by ${s.shadowedBy?.source}` : 'not loaded'})`,
            )
            .join(', '),
      );
    if (missing.length)
      problems.push(
        `${missing.length} skill(s) the gateway loaded before are gone: ${missing.slice(0, 5).join(', ')}`,
      );
    const report: GatewayReport = {
      mode,
      result: problems.length ? 'fail' : 'pass',
      settledMs,
      skills,
      missing,
    };
    if (problems.length) report.problem = problems.join('; ');
    this.log?.info({ result: report.result, settledMs, problem: report.problem }, 'gateway check');
    return report;
  }
}

/** The folders (as the gateway reports them: real paths) and descriptions the new set must show. */
async function expectations(t: GatewayTarget): Promise<Expected[]> {
  return Promise.all(
    t.manifest.skills.map(async (s) => {
      const dir = path.join(t.liveDir, skillFolder(s));
      const dirs = new Set([path.resolve(dir)]);
      const real = await realpath(dir).catch(() => null);
      if (real) dirs.add(real);
      let description: string | undefined;
      try {
        // The gateway's reading of the line (`fields`), not YAML's: they differ where a finding warns.
        const d = parseFrontmatter(await readFile(path.join(dir, 'SKILL.md'), 'utf8'), 'SKILL.md').fields
          .description;
        if (d !== undefined) description = d.trim();
      } catch {
        // Unreadable here means the tree check already failed; the name and folder still identify it.
      }
      return { name: s.name, dirs, ...(description !== undefined ? { description } : {}) };
    }),
  );
}

function verdict(e: Expected, listed: GatewaySkill[]): GatewaySkillVerdict {
  const hit = listed.find((g) => e.dirs.has(g.baseDir));
  if (!hit) {
    const winner = listed.find((g) => g.name === e.name);
    if (winner)
      return { name: e.name, state: 'shadowed', shadowedBy: { source: winner.source, path: winner.baseDir } };
    return {
      name: e.name,
      state: 'skipped',
      reason:
        'the gateway does not list it: it could not load its SKILL.md or a cap cut it (`skill-sync validate` names the cause)',
    };
  }
  if (hit.disabled)
    return { name: e.name, state: 'skipped', reason: 'listed, but disabled in the gateway config' };
  if (hit.blockedByAllowlist)
    return { name: e.name, state: 'skipped', reason: 'listed, but blocked by the gateway skills allowlist' };
  if (hit.blockedByAgentFilter)
    return { name: e.name, state: 'skipped', reason: "listed, but blocked by the agent's skill filter" };
  if (hit.eligible === false) {
    const missing = Object.entries(hit.missing ?? {})
      .filter(([, v]) => Array.isArray(v) && v.length > 0)
      .map(([k, v]) => `${k}: ${(v ?? []).join(', ')}`);
    return { name: e.name, state: 'not_eligible', missing };
  }
  return { name: e.name, state: 'loaded' };
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
