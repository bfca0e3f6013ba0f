// The apply engine: one deployment at a time, switch, reload, health check, commit or roll back.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../../core/fsutil.js';
import type { GatewayReport } from '../../core/gateway/report.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';
import { carryOver } from './carry-over.js';
import { failpoint } from '../failpoint.js';
import { httpHealth, runReload, sendAlert } from './hooks.js';
import { LockFile } from './lock.js';
import { layoutFor, releaseDir, releaseSkills, RELEASE_ID, type Layout } from './paths.js';
import { FifoQueue } from './queue.js';
import { recover } from './recovery.js';
import { readState, writeState, type EngineState } from './state.js';
import { clearJournal, EMPTY_MANIFEST, readReleaseManifest, switchLive } from './switch.js';
import { silentLog, type Log } from '../log.js';
import { linkTarget } from './symlink-switch.js';
import { diffTree } from './tree.js';
import {
  EngineError,
  type ApplyResult,
  type ApplyStatus,
  type DeploymentMeta,
  type EngineConfig,
  type HighestSerial,
  type LiveState,
  type ReleaseRecord,
} from './types.js';

/** Who asked for a rollback: its own attempt id (for the audit) and trigger. */
export interface RollbackRequest {
  deploymentId: string;
  trigger: string;
}

interface Candidate {
  record: ReleaseRecord;
  manifest: BundleManifest;
  /** A new release is deleted when refused; a kept one (rollback target) stays. */
  isNew: boolean;
}

export class Engine {
  private readonly layout: Layout;
  private readonly log: Log;
  private readonly queue = new FifoQueue();
  private readonly lock: LockFile;
  private readonly inJob = new AsyncLocalStorage<true>();
  private readonly alerts = new Set<Promise<void>>();
  /** Deletions of pruned releases still running (close() waits for them). */
  private readonly deletions = new Set<Promise<void>>();
  private closed = false;

  private constructor(
    private readonly cfg: EngineConfig,
    private state: EngineState,
  ) {
    this.layout = layoutFor(cfg.dataDir, cfg.skillsDir);
    this.log = cfg.log ?? silentLog;
    this.lock = new LockFile(this.layout.lock, cfg.lockTtlMs ?? 10 * 60_000, this.log);
  }

  /** Creates the folders, takes the lock and recovers from whatever a previous run left behind. */
  static async open(cfg: EngineConfig): Promise<Engine> {
    if (cfg.strategy !== 'symlink' && cfg.strategy !== 'in-place') {
      throw new EngineError(
        'ENGINE_CONFIG',
        `strategy must be symlink or in-place, not ${String(cfg.strategy)}`,
      );
    }
    const keep = cfg.keepReleases ?? 10;
    if (!Number.isInteger(keep) || keep < 1)
      throw new EngineError('ENGINE_CONFIG', 'keepReleases must be ≥ 1');
    const l = layoutFor(cfg.dataDir, cfg.skillsDir);
    if (l.live === l.root || l.live.startsWith(l.root + path.sep) || l.root.startsWith(l.live + path.sep)) {
      throw new EngineError('ENGINE_CONFIG', `skillsDir ${l.live} must not overlap ${l.root}`);
    }
    for (const d of [l.root, l.releases, l.staging, l.tmp, path.dirname(l.live)])
      await mkdir(d, { recursive: true });
    const engine = new Engine(cfg, await readState(l.state));
    await engine.exclusive(async () => {
      const stalePid = await engine.lock.clearIfStale();
      if (stalePid !== null) engine.log.warn({ pid: stalePid }, 'removed a stale lock');
      engine.state = await readState(l.state);
      const report = await recover({
        layout: l,
        strategy: cfg.strategy,
        state: engine.state,
        log: engine.log,
        newStaging: () => engine.newStaging(),
      });
      if (report.changedLive) await runReload(cfg.reload, engine.reloadBody('recovery'), engine.log);
    });
    return engine;
  }

  live(): LiveState | null {
    return this.state.live;
  }

  highestSerial(): HighestSerial | null {
    return this.state.highest;
  }

  /** Kept releases, newest first. */
  async releases(): Promise<{ deploymentId: string; serial: number; appliedAt: string; live: boolean }[]> {
    const liveId = this.state.live?.deploymentId;
    return this.state.releases.map((r) => ({
      deploymentId: r.deploymentId,
      serial: r.serial,
      appliedAt: r.appliedAt,
      live: r.deploymentId === liveId,
    }));
  }

  async newStaging(): Promise<string> {
    const dir = path.join(this.layout.staging, `${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    return dir;
  }

  newTempFile(): string {
    return path.join(this.layout.tmp, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Runs fn alone: in-process FIFO, then the cross-process lock file. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new EngineError('ENGINE_CLOSED', 'the apply engine is shut down'));
    if (this.inJob.getStore()) {
      return Promise.reject(
        new EngineError('ENGINE_NESTED', 'exclusive() called inside exclusive() would deadlock'),
      );
    }
    return this.queue.run(async () => {
      await this.lock.acquire();
      try {
        // Another receiver on the same volume may have committed since we last looked (docs/security.md).
        this.state = await readState(this.layout.state);
        return await this.inJob.run(true, fn);
      } finally {
        await this.lock.release();
      }
    });
  }

  /** Applies an unpacked, validated bundle in stagingDir (moved, not copied). Call inside exclusive(). */
  async apply(stagingDir: string, manifest: BundleManifest, meta: DeploymentMeta): Promise<ApplyResult> {
    this.assertInJob('apply');
    const started = performance.now();
    const id = meta.deploymentId;
    if (!RELEASE_ID.test(id))
      throw new EngineError('ENGINE_BAD_ID', `deployment id ${JSON.stringify(id)} is not a safe name`);
    if (await stat(releaseDir(this.layout, id)).catch(() => null)) {
      throw new EngineError('ENGINE_DUPLICATE_ID', `release ${id} already exists`);
    }
    failpoint('after-staging');
    // A bundle without skills still needs the folder the live path will show.
    await mkdir(path.join(stagingDir, 'skills'), { recursive: true });
    const live = this.state.live;
    const { manifest: complete, carried } = await carryOver(
      stagingDir,
      manifest,
      live ? { skillsDir: releaseSkills(this.layout, live.deploymentId), manifest: live.manifest } : null,
    );
    if (carried.length)
      this.log.info({ deploymentId: id, carried }, 'kept the live version of skipped skills');
    await fsyncDir(stagingDir);
    await rename(stagingDir, releaseDir(this.layout, id));
    await fsyncDir(this.layout.releases);
    failpoint('after-release');
    const { deploymentId: _d, ...rest } = meta;
    const record: ReleaseRecord = { deploymentId: id, ...rest, appliedAt: new Date().toISOString() };
    return this.switchCheckCommit({ record, manifest: complete, isNew: true }, id, started);
  }

  /** Rolls back to the kept release before the live one, or to `target`. Same switch/reload/health path. */
  async rollback(target: string | undefined, req: RollbackRequest): Promise<ApplyResult> {
    this.assertInJob('rollback');
    const started = performance.now();
    const live = this.state.live;
    const list = this.state.releases;
    let record: ReleaseRecord | undefined;
    if (target === undefined) {
      const at = list.findIndex((r) => r.deploymentId === live?.deploymentId);
      record = at >= 0 ? list[at + 1] : undefined;
      if (!record) throw new EngineError('ENGINE_NO_PREVIOUS', 'no earlier release is kept to roll back to');
    } else {
      record = list.find((r) => r.deploymentId === target);
      if (!record) throw new EngineError('ENGINE_UNKNOWN_RELEASE', `release ${target} is not kept here`);
    }
    if (record.deploymentId === live?.deploymentId) {
      return {
        status: 'success',
        deploymentId: req.deploymentId,
        durationMs: performance.now() - started,
        live,
      };
    }
    const manifest = await readReleaseManifest(this.layout, record.deploymentId);
    const candidate = { record: { ...record, appliedAt: new Date().toISOString() }, manifest, isNew: false };
    return this.switchCheckCommit(candidate, req.deploymentId, started, req.trigger);
  }

  /**
   * Operator recovery from a highest serial signed with a clock far ahead (docs/runbook.md): lowers it to
   * `serial`. The live release stays; only replay protection's high-water mark moves. Call inside exclusive().
   */
  async resetHighest(serial: number): Promise<HighestSerial | null> {
    this.assertInJob('resetHighest');
    const before = this.state.highest;
    // An empty digest matches no envelope: everything signed before the reset is refused as a replay.
    const next: EngineState = { ...this.state, highest: { serial, digest: '', outcome: 'success' } };
    await writeState(this.layout.state, next);
    this.state = next;
    return before;
  }

  /** Differences between the live tree and the live manifest; [] = exact. */
  async verifyLive(): Promise<string[]> {
    const live = this.state.live;
    const problems: string[] = [];
    if (this.cfg.strategy === 'symlink') {
      const want = live ? path.resolve(releaseSkills(this.layout, live.deploymentId)) : null;
      const got = await linkTarget(this.layout.live);
      if (got !== want) problems.push(`link: ${this.layout.live} points at ${got ?? '(nothing)'}`);
    }
    return [...problems, ...(await diffTree(this.layout.live, live?.manifest ?? EMPTY_MANIFEST))];
  }

  /** Waits for queued jobs and pending alerts; later exclusive() calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    await Promise.all([...this.alerts, ...this.deletions]);
  }

  private assertInJob(what: string): void {
    if (!this.inJob.getStore())
      throw new EngineError('ENGINE_NOT_EXCLUSIVE', `${what}() must run inside exclusive()`);
  }

  private reloadBody(reason: string): object {
    const live = this.state.live;
    return {
      event: 'skill-sync.reload',
      reason,
      deploymentId: live?.deploymentId ?? null,
      serial: live?.serial ?? null,
    };
  }

  private async switchTo(id: string | null, manifest: BundleManifest): Promise<void> {
    const previous = this.state.live?.deploymentId ?? null;
    // Here rather than in switchLive: start-up recovery switches too, and must not trip a crash test's hook.
    failpoint('before-switch');
    await switchLive(this.layout, this.cfg.strategy, id, manifest, previous);
  }

  /** Health = the live tree equals the manifest, then (if configured) the HTTP check. */
  private async checkHealth(): Promise<string | null> {
    const tree = await this.verifyLive();
    if (tree.length) return `live tree differs from the manifest: ${tree.slice(0, 5).join(', ')}`;
    return httpHealth(this.cfg.health);
  }

  private async switchCheckCommit(
    c: Candidate,
    attemptId: string,
    started: number,
    trigger?: string,
  ): Promise<ApplyResult> {
    const prev = this.state.live;
    const committed = this.state;
    const id = c.record.deploymentId;
    const liveAsCandidate: LiveState = { ...c.record, manifest: c.manifest };
    let problem: string | null;
    let gateway: GatewayReport | undefined;
    const session = await this.cfg.gateway?.begin(this.layout.live);
    try {
      await this.switchTo(id, c.manifest);
      const switchedAt = performance.now();
      failpoint('after-switch');
      // While checking, verifyLive and the reload body must see the candidate.
      this.state = { ...committed, live: liveAsCandidate };
      await runReload(this.cfg.reload, this.reloadBody(c.isNew ? 'deploy' : 'rollback'), this.log);
      problem = await this.checkHealth();
      if (problem === null && session) {
        gateway = await session.verify(
          { manifest: c.manifest, previous: prev?.manifest ?? null, liveDir: this.layout.live },
          switchedAt,
        );
        if (gateway.mode === 'enforce' && gateway.result !== 'pass')
          problem = `gateway check: ${gateway.problem}`;
      }
    } catch (err) {
      problem = `switch failed: ${(err as Error).message}`;
    } finally {
      session?.close();
    }
    // A passed check keeps showing the candidate until state.json names it: going back to the old live set for the
    // length of the write would show /health and /v1/state a deployment that is neither on disk nor committed.
    if (problem !== null) this.state = committed;
    if (problem === null) {
      const next: EngineState = { ...committed, live: liveAsCandidate };
      let pruned: string[] = [];
      if (c.isNew) {
        next.releases = [c.record, ...committed.releases];
        next.highest = this.raiseHighest(c.record, 'success');
        ({ kept: next.releases, pruned } = this.planPrune(next.releases, id, prev?.deploymentId));
      }
      failpoint('before-state');
      try {
        await writeState(this.layout.state, next);
      } catch (err) {
        this.state = committed; // not committed after all: what state.json still says
        throw err;
      }
      this.state = next;
      failpoint('after-state');
      if (this.cfg.strategy === 'in-place') await clearJournal(this.layout);
      failpoint('before-prune');
      for (const p of pruned) await this.discard(p);
      failpoint('after-prune');
      const durationMs = performance.now() - started;
      this.log.info({ deploymentId: id, attempt: attemptId, trigger, durationMs, pruned }, 'deployment live');
      return {
        status: 'success',
        deploymentId: attemptId,
        durationMs,
        live: next.live,
        ...(gateway && { gateway }),
      };
    }
    const refused = await this.refuse(c, attemptId, started, prev, problem);
    return gateway ? { ...refused, gateway } : refused;
  }

  /** Switches back to what was committed (or to nothing), reloads, records, alerts. */
  private async refuse(
    c: Candidate,
    attemptId: string,
    started: number,
    prev: LiveState | null,
    problem: string,
  ): Promise<ApplyResult> {
    const id = c.record.deploymentId;
    this.log.error({ deploymentId: id, attempt: attemptId, problem }, 'deployment refused; switching back');
    await this.switchTo(prev?.deploymentId ?? null, prev?.manifest ?? EMPTY_MANIFEST);
    await runReload(this.cfg.reload, this.reloadBody('rollback'), this.log);
    const status: ApplyStatus = prev ? 'rolled_back' : 'failed';
    const next: EngineState = { ...this.state };
    // A health-refused serial counts as seen so the same envelope cannot be replayed into the same failure.
    if (c.isNew && !problem.startsWith('switch failed')) next.highest = this.raiseHighest(c.record, status);
    await writeState(this.layout.state, next);
    this.state = next;
    if (this.cfg.strategy === 'in-place') await clearJournal(this.layout);
    if (c.isNew) await rm(releaseDir(this.layout, id), { recursive: true, force: true });
    if (this.cfg.alertUrl) {
      const text =
        `skill-sync: deployment ${id} (serial ${c.record.serial}, ${c.record.repository}@${c.record.commit.slice(0, 12)}) ` +
        `failed: ${problem}. ${prev ? `Rolled back to ${prev.deploymentId}.` : 'Nothing was live before; live is now empty.'}`;
      const details = {
        event: 'skill-sync.deploy_failed',
        status,
        deploymentId: id,
        attempt: attemptId,
        serial: c.record.serial,
        error: problem,
        live: prev?.deploymentId ?? null,
      };
      const p = sendAlert(this.cfg.alertUrl, text, details, this.log).finally(() => this.alerts.delete(p));
      this.alerts.add(p);
    }
    return {
      status,
      deploymentId: attemptId,
      durationMs: performance.now() - started,
      error: problem,
      live: prev,
    };
  }

  /**
   * Takes a pruned release out of releases/ with one rename into tmp/, then deletes it in the background: the
   * deployment does not wait for hundreds of unlinks. A crash leaves it in tmp/, which recovery empties.
   */
  private async discard(id: string): Promise<void> {
    const gone = path.join(this.layout.tmp, `${process.pid}-pruned-${id}`);
    try {
      await rename(releaseDir(this.layout, id), gone);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const p: Promise<void> = rm(gone, { recursive: true, force: true })
      .catch((err: unknown) => this.log.warn({ err, release: id }, 'could not delete a pruned release'))
      .finally(() => this.deletions.delete(p));
    this.deletions.add(p);
  }

  private raiseHighest(r: ReleaseRecord, outcome: ApplyStatus): HighestSerial | null {
    const h = this.state.highest;
    return h && h.serial >= r.serial ? h : { serial: r.serial, digest: r.digest, outcome };
  }

  /** Keeps the newest keepReleases plus the live one, the one that was live before it, and the next older. */
  private planPrune(
    list: ReleaseRecord[],
    liveId: string,
    prevLiveId: string | undefined,
  ): { kept: ReleaseRecord[]; pruned: string[] } {
    const keep = this.cfg.keepReleases ?? 10;
    const at = list.findIndex((r) => r.deploymentId === liveId);
    const must = new Set([liveId, prevLiveId, list[at + 1]?.deploymentId]);
    const kept = list.filter((r, i) => i < keep || must.has(r.deploymentId));
    const pruned = list.filter((r) => !kept.includes(r)).map((r) => r.deploymentId);
    return { kept, pruned };
  }
}
