// Deployer: the one path from a signed envelope plus a bundle stream to a live skill set (webhook, poller, manual).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AuditInput, AuditRecord, AuditTrail, AuditTrigger } from '../core/audit/index.js';
import { BundleError } from '../core/bundle/index.js';
import { unpackBundle } from './io/unpack.js';
import { checkRepo, SKILL_FILE_MAX_BYTES } from '../core/check.js';
import { AssetTooLarge } from '../core/release/index.js';
import { protectedPaths } from '../core/sync/confine.js';
import { EnvelopeError, decodeEnvelopeHeader, type VerifyKey } from '../core/envelope/index.js';
import type { OidcVerifier, VerifyPath } from '../core/envelope/oidc-verify.js';
import { verifyRelease } from '../core/envelope/verify.js';
import type { GatewayReport } from '../core/gateway/report.js';
import type { BundleManifest } from '../core/manifest.js';
import type { MemoryTree } from './io/memory-tree.js';
import type { Envelope, ReleasePayload } from '../core/payload.js';
import { EngineError, type ApplyResult, type Engine, type HighestSerial } from './engine/index.js';
import { receiveBundle } from './ingest.js';
import type { Metrics } from './metrics.js';
import type { ReceiverConfig } from './config.js';
import { Refusal } from './refusal.js';
import { SampledLog } from './sampled-log.js';
import { checkNotFuture, checkSource } from './source-policy.js';

export type DeployStatus = 'deployed' | 'already_live' | 'rolled_back' | 'failed' | 'rejected';

export interface DeployOutcome {
  status: DeployStatus;
  httpStatus: number;
  code?: string;
  message?: string;
  deploymentId?: string;
  serial?: number;
  digest?: string;
  skills?: number;
  durationMs?: number;
  /** What is live after the attempt (differs from deploymentId for rollbacks and refusals). */
  liveDeploymentId?: string;
  /** The gateway's view of the attempted set (GATEWAY_CHECK report/enforce). */
  gateway?: GatewayReport;
}

interface Deps {
  engine: Engine;
  audit: AuditTrail;
  keys: VerifyKey[];
  /** Keyless: GitHub OIDC tokens under SKILL_SYNC_OIDC_* (core/envelope/oidc-verify.ts). */
  oidc?: OidcVerifier;
  cfg: ReceiverConfig;
  metrics: Metrics;
  log: Logger;
}

/** Sortable, unique, and safe as a folder name: `<serial or time>-<random>`. */
export function newDeploymentId(serial?: number): string {
  return `${String(serial ?? Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

export class Deployer {
  /** Recent audit records, newest first, so /health never re-reads the audit file. */
  readonly recent: AuditRecord[] = [];
  /** Refusals before a valid signature: counted and sampled, never audited (anyone can send them). */
  private readonly unsigned: SampledLog;

  constructor(private readonly deps: Deps) {
    this.unsigned = new SampledLog(deps.log);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.engine.exclusive(fn);
  }

  /**
   * The poller's check: a valid signature from an allowed repository and ref, before any download.
   * Async because an OIDC token may need the issuer's JWKS.
   */
  async verify(envelope: unknown, path: VerifyPath = 'push'): Promise<ReleasePayload> {
    const payload = await verifyRelease(envelope, { keys: this.deps.keys, oidc: this.deps.oidc }, path);
    checkSource(payload, this.deps.cfg);
    return payload;
  }

  highestSerial(): HighestSerial | null {
    return this.deps.engine.highestSerial();
  }

  /**
   * DESIGN.md's serial rule. Lower or equal with another digest is a replay or a rollback attack (409);
   * the same digest is already applied (200, and the body is never read).
   */
  private checkSerial(payload: ReleasePayload): 'new' | 'already_live' {
    const top = this.highestSerial();
    if (!top || payload.serial > top.serial) return 'new';
    if (payload.serial === top.serial && payload.bundle.sha256 === top.digest) {
      // A release the health check rolled back stays refused: sign a fixed one instead.
      if (top.outcome !== 'success')
        throw new Refusal(409, 'previously-refused', `serial ${payload.serial} was applied and rolled back`);
      return 'already_live';
    }
    throw new Refusal(
      409,
      'replay',
      `serial ${payload.serial} is not newer than the applied serial ${top.serial} (replay or rollback refused)`,
    );
  }

  /** What can be decided before a byte of the body is read: the serial rule and the size cap. */
  private admit(payload: ReleasePayload): 'new' | 'already_live' {
    checkSource(payload, this.deps.cfg);
    checkNotFuture(payload, this.deps.cfg.maxClockSkewMs);
    if (this.checkSerial(payload) === 'already_live') return 'already_live';
    if (payload.bundle.size > this.deps.cfg.maxBundleBytes)
      throw new Refusal(413, 'too-large', `bundle of ${payload.bundle.size} bytes exceeds MAX_BUNDLE_BYTES`);
    return 'new';
  }

  /** POST /v1/deployments: verify, check serial, stream, then apply inside the queue. */
  async push(
    header: string | undefined,
    body: AsyncIterable<Uint8Array> | null,
    contentLength: number | undefined,
  ): Promise<DeployOutcome> {
    const started = performance.now();
    let payload: ReleasePayload | undefined;
    let tmp: string | undefined;
    try {
      if (!header) throw new Refusal(401, 'missing-envelope', 'the Skill-Sync-Envelope header is required');
      const envelope = this.decode(header);
      payload = await this.verifyOrRefuse(envelope);
      if (this.admit(payload) === 'already_live') return this.alreadyLive(payload);
      if (contentLength !== undefined && contentLength !== payload.bundle.size)
        throw new Refusal(
          400,
          'size-mismatch',
          `Content-Length ${contentLength} differs from the signed size`,
        );
      if (!body) throw new Refusal(400, 'size-mismatch', 'the request has no body');
      tmp = this.deps.engine.newTempFile();
      await receiveBundle(body, tmp, payload.bundle);
      const received = tmp;
      const signed = payload;
      // Streaming happens outside the queue so a slow upload never blocks other work; the serial is re-checked inside.
      return await this.exclusive(() => this.applyReceived(received, signed, 'webhook', started));
    } catch (err) {
      return this.refused(err, payload, 'webhook', started);
    } finally {
      if (tmp) await rm(tmp, { force: true });
    }
  }

  /**
   * The poller's path: same checks and apply. Like a push, the download is streamed and checked outside the
   * queue, which is taken only to apply (docs/security.md: a stalled download must not hold up deploys).
   */
  async deployFetched(
    _envelope: Envelope,
    payload: ReleasePayload,
    body: AsyncIterable<Uint8Array>,
    trigger: 'polling' | 'manual',
  ): Promise<DeployOutcome> {
    const started = performance.now();
    let tmp: string | undefined;
    try {
      if (this.admit(payload) === 'already_live') return this.alreadyLive(payload);
      tmp = this.deps.engine.newTempFile();
      await receiveBundle(body, tmp, payload.bundle);
      const received = tmp;
      return await this.exclusive(() => this.applyReceived(received, payload, trigger, started));
    } catch (err) {
      return this.refused(err, payload, trigger, started);
    } finally {
      if (tmp) await rm(tmp, { force: true });
    }
  }

  /** Older release marked latest on GitHub: never applied, but on the record. */
  async recordSkipped(payload: ReleasePayload, reason: string): Promise<void> {
    await this.record({
      deploymentId: newDeploymentId(),
      trigger: 'polling',
      status: 'rejected',
      reason,
      durationMs: 0,
      ...this.payloadFields(payload),
    });
  }

  /** POST /api/rollback: previous release or a given one, through the same queue, reload and health path. */
  async rollback(target: string | undefined): Promise<DeployOutcome> {
    const started = performance.now();
    const deploymentId = newDeploymentId();
    return this.exclusive(async () => {
      let result: ApplyResult;
      let previous: string | undefined;
      try {
        previous = this.deps.engine.live()?.deploymentId;
        result = await this.deps.engine.rollback(target, { deploymentId, trigger: 'rollback' });
      } catch (err) {
        return this.refused(err, undefined, 'rollback', started, deploymentId);
      }
      return this.finish(result, 'rollback', started, undefined, undefined, previous);
    });
  }

  /**
   * POST /api/serial/reset: recovery from a release signed with a clock far ahead, which would otherwise
   * outrank every later release. Only a highest serial that is ahead of this receiver's clock can be reset,
   * and only down to now, so every envelope signed before the reset stays refused.
   */
  async resetSerial(): Promise<{ httpStatus: number; body: object }> {
    const started = performance.now();
    return this.exclusive(async () => {
      const { engine, cfg, log } = this.deps;
      const now = Date.now();
      const top = engine.highestSerial();
      if (!top || top.serial <= now + cfg.maxClockSkewMs)
        return {
          httpStatus: 409,
          body: {
            error: {
              code: 'serial-not-ahead',
              message: `the highest serial ${top?.serial ?? 'none'} is not ahead of the receiver's clock; nothing to reset`,
            },
          },
        };
      await engine.resetHighest(now);
      const message = `highest serial ${top.serial} reset to ${now} by the operator`;
      log.warn({ from: top.serial, to: now }, message);
      await this.record({
        deploymentId: newDeploymentId(),
        trigger: 'manual',
        status: 'rejected',
        reason: 'serial-reset',
        error: message,
        serial: top.serial,
        durationMs: Math.round(performance.now() - started),
      });
      return { httpStatus: 200, body: { status: 'reset', previousSerial: top.serial, serial: now } };
    });
  }

  private decode(header: string): Envelope {
    try {
      return decodeEnvelopeHeader(header, this.deps.cfg.maxEnvelopeBytes);
    } catch (err) {
      throw asRefusal(err);
    }
  }

  private async verifyOrRefuse(envelope: unknown): Promise<ReleasePayload> {
    try {
      return await verifyRelease(envelope, { keys: this.deps.keys, oidc: this.deps.oidc }, 'push');
    } catch (err) {
      throw asRefusal(err);
    }
  }

  /** Inside the queue: serial again, safe unpack, re-validation with the Action's own rules, then the switch. */
  private async applyReceived(
    bundleFile: string,
    payload: ReleasePayload,
    trigger: AuditTrigger,
    started: number,
  ): Promise<DeployOutcome> {
    if (this.checkSerial(payload) === 'already_live') return this.alreadyLive(payload);
    const { engine } = this.deps;
    const staging = await engine.newStaging();
    try {
      let manifest: BundleManifest;
      try {
        // Re-validation runs inside the unpack: on the files in memory, while they are still being written.
        // MAX_FILE_SIZE is the unpack's per-file cap too; SKILL.md may always reach the gateway's own limit.
        const maxFileBytes = Math.max(this.deps.cfg.maxFileSize, SKILL_FILE_MAX_BYTES);
        manifest = await unpackBundle(
          bundleFile,
          staging,
          { maxFileBytes },
          {
            check: (m, skills) => this.revalidate(staging, m, skills),
          },
        );
      } catch (err) {
        throw asRefusal(err);
      }
      const deploymentId = newDeploymentId(payload.serial);
      const previous = engine.live()?.deploymentId;
      const result = await engine.apply(staging, manifest, {
        deploymentId,
        serial: payload.serial,
        digest: payload.bundle.sha256,
        repository: payload.repository,
        ref: payload.ref,
        commit: payload.commit,
        trigger,
      });
      // On success the live manifest also lists the skills kept by on-invalid: skip (engine carry-over).
      const applied = result.status === 'success' && result.live ? result.live.manifest : manifest;
      return await this.finish(result, trigger, started, payload, applied, previous);
    } finally {
      // apply() moves staging into releases/ on success; anything left here is a refused bundle.
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The Action's own rules on the unpacked skills: from memory when they fit, else from staging on disk. */
  private async revalidate(
    staging: string,
    manifest: BundleManifest,
    skills: MemoryTree | null,
  ): Promise<void> {
    const { cfg } = this.deps;
    const result = await checkRepo(path.join(staging, 'skills'), {
      profile: cfg.profile,
      maxFileSize: cfg.maxFileSize,
      dataRoot: cfg.syncDataRoot,
      protectedPaths: protectedPaths(cfg.syncDataRoot, [path.join(cfg.dataDir, 'skill-sync'), cfg.skillsDir]),
      ...(skills ? { tree: skills } : {}),
    });
    const errors = result.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) {
      const head = errors
        .slice(0, 3)
        .map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`)
        .join('; ');
      throw new Refusal(422, 'invalid-skills', `${errors.length} validation error(s): ${head}`);
    }
    const checked = new Map(result.skills.map((s) => [s.name, s]));
    // The version is what the frontmatter says (or the fingerprint): a manifest may not claim another.
    const lies = manifest.skills.filter((s) => {
      const c = checked.get(s.name);
      return c?.fingerprint !== s.fingerprint || c.version !== s.version;
    });
    if (lies.length > 0 || checked.size !== manifest.skills.length)
      throw new Refusal(
        422,
        'manifest-mismatch',
        `manifest does not match the unpacked skills${lies[0] ? ` (first: ${lies[0].name})` : ''}`,
      );
  }

  private async finish(
    result: ApplyResult,
    trigger: AuditTrigger,
    started: number,
    payload: ReleasePayload | undefined,
    attempted?: BundleManifest,
    previousDeploymentId?: string,
  ): Promise<DeployOutcome> {
    const { metrics, cfg } = this.deps;
    const durationMs = Math.round(performance.now() - started);
    const live = result.live;
    const auditStatus = result.status;
    metrics.deployments.inc({ status: auditStatus, trigger });
    metrics.deployDuration.observe({ status: auditStatus }, durationMs / 1000);
    if (result.status === 'rolled_back') metrics.healthFailures.inc();
    // The engine reloads once per switch: once on success, twice when it had to switch back.
    if (cfg.reloadUrl || cfg.reloadFile) metrics.reloads.inc(result.status === 'rolled_back' ? 2 : 1);
    const fields = payload ? this.payloadFields(payload) : this.liveFields();
    await this.record({
      deploymentId: result.deploymentId,
      trigger,
      status: auditStatus,
      durationMs,
      ...fields,
      skills: (attempted ?? live?.manifest)?.skills.map((s) => ({
        name: s.name,
        version: s.version,
        fingerprint: s.fingerprint,
      })),
      error: result.error,
      previousDeploymentId,
      ...(result.gateway && { gateway: result.gateway }),
    });
    if (result.gateway) this.countGateway(result.gateway);
    const outcome: DeployOutcome = {
      status: result.status === 'success' ? 'deployed' : result.status,
      httpStatus: result.status === 'success' ? 201 : result.status === 'rolled_back' ? 424 : 500,
      deploymentId: result.deploymentId,
      serial: payload?.serial ?? live?.serial,
      digest: payload?.bundle.sha256 ?? live?.digest,
      skills: payload?.skills ?? live?.manifest.skills.length,
      durationMs,
      liveDeploymentId: live?.deploymentId,
      ...(result.gateway && { gateway: result.gateway }),
    };
    if (result.status !== 'success') {
      const byGateway = result.error?.startsWith('gateway check') === true;
      outcome.code = byGateway
        ? 'gateway-check-failed'
        : result.status === 'rolled_back'
          ? 'health-check-failed'
          : 'apply-failed';
      outcome.message = result.error;
    }
    this.deps.log.info({ ...outcome, trigger }, `deployment ${outcome.status}`);
    return outcome;
  }

  private countGateway(report: GatewayReport): void {
    const { metrics } = this.deps;
    metrics.gatewayChecks.inc({ result: report.result });
    for (const state of ['loaded', 'skipped', 'shadowed', 'not_eligible'] as const)
      metrics.gatewaySkills.set({ state }, report.skills.filter((s) => s.state === state).length);
  }

  private alreadyLive(payload: ReleasePayload): DeployOutcome {
    const live = this.deps.engine.live();
    // After a manual rollback the newest applied serial is not the live one; it is not re-applied either.
    const superseded = live?.serial !== payload.serial;
    this.deps.log.info({ serial: payload.serial, superseded }, 'already applied; body not read');
    return {
      status: 'already_live',
      httpStatus: 200,
      serial: payload.serial,
      digest: payload.bundle.sha256,
      deploymentId: live?.deploymentId,
      skills: payload.skills,
      message: superseded
        ? 'already applied; an operator rollback made an earlier release live'
        : 'already live',
    };
  }

  private async refused(
    err: unknown,
    payload: ReleasePayload | undefined,
    trigger: AuditTrigger,
    started: number,
    deploymentId = newDeploymentId(),
  ): Promise<DeployOutcome> {
    const refusal = asRefusal(err);
    const durationMs = Math.round(performance.now() - started);
    const internal = refusal.status >= 500;
    this.deps.metrics.rejected.inc({ reason: refusal.code });
    // Nothing signed yet: junk from anyone must not rotate the audit trail or push real history out of /health.
    const unsigned = !payload && trigger === 'webhook' && !internal;
    if (unsigned) this.unsigned.warn(refusal.code, { code: refusal.code, trigger }, refusal.message);
    else if (internal) this.deps.log.error({ err, trigger }, 'deployment failed');
    else this.deps.log.warn({ code: refusal.code, trigger, serial: payload?.serial }, refusal.message);
    if (!unsigned)
      await this.record({
        deploymentId,
        trigger,
        status: internal ? 'failed' : 'rejected',
        reason: refusal.code,
        error: refusal.message,
        durationMs,
        ...(payload ? this.payloadFields(payload) : {}),
      });
    return {
      status: internal ? 'failed' : 'rejected',
      httpStatus: refusal.status,
      code: refusal.code,
      message: refusal.message,
      serial: payload?.serial,
      durationMs,
    };
  }

  private payloadFields(p: ReleasePayload): Partial<AuditInput> {
    return {
      repository: p.repository,
      commit: p.commit,
      ref: p.ref,
      serial: p.serial,
      bundleSha256: p.bundle.sha256,
    };
  }

  private liveFields(): Partial<AuditInput> {
    const live = this.deps.engine.live();
    if (!live) return {};
    return {
      repository: live.repository,
      commit: live.commit,
      ref: live.ref,
      serial: live.serial,
      bundleSha256: live.digest,
    };
  }

  private async record(input: AuditInput): Promise<void> {
    try {
      const rec = await this.deps.audit.record(input);
      this.recent.unshift(rec);
      this.recent.length = Math.min(this.recent.length, 10);
    } catch (err) {
      // The audit file is on the same volume as the skills: if it cannot be written, say so loudly, but the
      // deployment result (already applied or refused) stands.
      this.deps.log.error({ err }, 'audit record could not be written');
    }
  }
}

/** Maps any error to a Refusal; unknown errors become 500 `internal` without leaking their text to clients. */
export function asRefusal(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  // The issuer being unreachable is ours to fix, not the sender's: 503, worth a retry.
  if (err instanceof EnvelopeError)
    return new Refusal(err.code === 'oidc-unavailable' ? 503 : 401, err.code, err.message);
  if (err instanceof BundleError) return new Refusal(422, err.code, err.message);
  if (err instanceof AssetTooLarge) return new Refusal(413, err.code, err.message);
  if (err instanceof EngineError) {
    if (err.code === 'ENGINE_UNKNOWN_RELEASE') return new Refusal(404, 'unknown-release', err.message);
    if (err.code === 'ENGINE_NO_PREVIOUS') return new Refusal(409, 'no-previous-release', err.message);
    if (err.code === 'ENGINE_CARRY_MISMATCH') return new Refusal(409, 'carry-over-mismatch', err.message);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new Refusal(507, 'disk-full', 'no space left on the data volume');
  return new Refusal(500, 'internal', 'internal error (see receiver logs)');
}
