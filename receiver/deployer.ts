// Deployer: the one path from a signed envelope plus a bundle stream to a live skill set (webhook, poller, manual).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { AuditRecord, AuditTrail, AuditTrigger } from '../core/audit/index.js';
import { unpackBundle } from './io/unpack.js';
import { SKILL_FILE_MAX_BYTES } from '../core/check.js';
import { decodeEnvelopeHeader, type VerifyKey } from '../core/envelope/index.js';
import type { OidcVerifier, VerifyPath } from '../core/envelope/oidc-verify.js';
import { verifyRelease } from '../core/envelope/verify.js';
import type { BundleManifest } from '../core/bundle-manifest.js';
import type { Envelope, ReleasePayload } from '../core/payload.js';
import { admitRelease, type Admission, type ReleaseFacts } from './admission.js';
import type { ApplyResult, Engine, HighestSerial } from './engine/index.js';
import { receiveBundle } from './ingest.js';
import type { Log } from './log.js';
import type { Metrics } from './metrics.js';
import type { ReceiverConfig } from './config.js';
import { asRefusal, type DeployOutcome } from './outcome.js';
import { Recorder, payloadFields } from './recorder.js';
import { Refusal } from './refusal.js';
import { revalidate } from './revalidate.js';

interface Deps {
  engine: Engine;
  audit: AuditTrail;
  keys: VerifyKey[];
  /** Keyless: GitHub OIDC tokens under SKILL_SYNC_OIDC_* (core/envelope/oidc-verify.ts). */
  oidc?: OidcVerifier;
  cfg: ReceiverConfig;
  metrics: Metrics;
  log: Log;
}

/** Sortable, unique, and safe as a folder name: `<serial or time>-<random>`. */
export function newDeploymentId(serial?: number): string {
  return `${String(serial ?? Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

export class Deployer {
  private readonly recorder: Recorder;

  constructor(private readonly deps: Deps) {
    this.recorder = new Recorder(deps);
  }

  /** Recent audit records, newest first, so /health never re-reads the audit file. */
  get recent(): AuditRecord[] {
    return this.recorder.recent;
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.engine.exclusive(fn);
  }

  /** The poller's check of a signature before any download. Async: an OIDC token may need the issuer's JWKS. */
  verify(envelope: unknown, path: VerifyPath = 'push'): Promise<ReleasePayload> {
    return verifyRelease(envelope, { keys: this.deps.keys, oidc: this.deps.oidc }, path);
  }

  highestSerial(): HighestSerial | null {
    return this.deps.engine.highestSerial();
  }

  /** The admission rule (receiver/admission.ts) against this receiver's policy and highest applied serial. */
  admit(payload: ReleasePayload, bundle?: ReleaseFacts['bundle']): Admission {
    return admitRelease(payload, this.deps.cfg, { highest: this.highestSerial(), ...(bundle && { bundle }) });
  }

  /** POST /v1/deployments: verify, admit, stream, then apply inside the queue. */
  async push(
    header: string | undefined,
    body: AsyncIterable<Uint8Array> | null,
    contentLength: number | undefined,
  ): Promise<DeployOutcome> {
    const started = performance.now();
    let payload: ReleasePayload | undefined;
    try {
      if (!header) throw new Refusal('missing-envelope', 'the Skill-Sync-Envelope header is required');
      payload = await this.verify(decodeEnvelopeHeader(header, this.deps.cfg.maxEnvelopeBytes));
      const declared = contentLength === undefined ? undefined : { size: contentLength };
      if (this.admit(payload, declared) === 'applied') return this.alreadyLive(payload);
      if (!body) throw new Refusal('size-mismatch', 'the request has no body');
      return await this.receiveAndApply(payload, body, 'webhook', started);
    } catch (err) {
      return this.refused(err, payload, 'webhook', started);
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
    try {
      if (this.admit(payload) === 'applied') return this.alreadyLive(payload);
      return await this.receiveAndApply(payload, body, trigger, started);
    } catch (err) {
      return this.refused(err, payload, trigger, started);
    }
  }

  /** Older release marked latest on GitHub: never applied, but on the record. */
  async recordSkipped(payload: ReleasePayload, reason: string): Promise<void> {
    await this.recorder.noted({
      deploymentId: newDeploymentId(),
      trigger: 'polling',
      status: 'rejected',
      reason,
      durationMs: 0,
      ...payloadFields(payload),
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
  async resetSerial(): Promise<Refusal | { status: 'reset'; previousSerial: number; serial: number }> {
    const started = performance.now();
    return this.exclusive(async () => {
      const { engine, cfg, log } = this.deps;
      const now = Date.now();
      const top = engine.highestSerial();
      if (!top || top.serial <= now + cfg.maxClockSkewMs)
        return new Refusal(
          'serial-not-ahead',
          `the highest serial ${top?.serial ?? 'none'} is not ahead of the receiver's clock; nothing to reset`,
        );
      await engine.resetHighest(now);
      const message = `highest serial ${top.serial} reset to ${now} by the operator`;
      log.warn({ from: top.serial, to: now }, message);
      await this.recorder.noted({
        deploymentId: newDeploymentId(),
        trigger: 'manual',
        status: 'rejected',
        reason: 'serial-reset',
        error: message,
        serial: top.serial,
        durationMs: Math.round(performance.now() - started),
      });
      return { status: 'reset', previousSerial: top.serial, serial: now };
    });
  }

  /**
   * Streaming happens outside the queue so a slow upload never blocks other work; the received bytes are
   * admitted at once, and the whole rule runs again inside the queue, where the highest serial cannot move.
   */
  private async receiveAndApply(
    payload: ReleasePayload,
    body: AsyncIterable<Uint8Array>,
    trigger: AuditTrigger,
    started: number,
  ): Promise<DeployOutcome> {
    const tmp = this.deps.engine.newTempFile();
    try {
      const received = await receiveBundle(body, tmp, payload.bundle.size);
      if (this.admit(payload, received) === 'applied') return this.alreadyLive(payload);
      return await this.exclusive(async () => {
        if (this.admit(payload, received) === 'applied') return this.alreadyLive(payload);
        return this.apply(tmp, payload, trigger, started);
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Inside the queue: safe unpack, re-validation with the Action's own rules, then the switch. */
  private async apply(
    bundleFile: string,
    payload: ReleasePayload,
    trigger: AuditTrigger,
    started: number,
  ): Promise<DeployOutcome> {
    const { engine, cfg } = this.deps;
    const staging = await engine.newStaging();
    try {
      // MAX_FILE_SIZE is the unpack's per-file cap too; SKILL.md may always reach the gateway's own limit.
      const maxFileBytes = Math.max(cfg.maxFileSize, SKILL_FILE_MAX_BYTES);
      const manifest = await unpackBundle(bundleFile, staging, { maxFileBytes });
      await revalidate(cfg, staging, manifest);
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

  private async finish(
    result: ApplyResult,
    trigger: AuditTrigger,
    started: number,
    payload: ReleasePayload | undefined,
    attempted?: BundleManifest,
    previousDeploymentId?: string,
  ): Promise<DeployOutcome> {
    const durationMs = Math.round(performance.now() - started);
    await this.recorder.applied(result, trigger, durationMs, payload, attempted, previousDeploymentId);
    const live = result.live;
    const outcome: DeployOutcome = {
      status: result.status === 'success' ? 'deployed' : result.status,
      deploymentId: result.deploymentId,
      serial: payload?.serial ?? live?.serial,
      digest: payload?.bundle.sha256 ?? live?.digest,
      skills: payload?.skills ?? live?.manifest.skills.length,
      durationMs,
      liveDeploymentId: live?.deploymentId,
      ...(result.gateway && { gateway: result.gateway }),
    };
    if (result.status !== 'success') {
      // The engine asks the gateway only once the health check passed: an enforced verdict that is not a pass
      // is what rolled this one back.
      const byGateway = result.gateway?.mode === 'enforce' && result.gateway.result !== 'pass';
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

  private alreadyLive(payload: ReleasePayload): DeployOutcome {
    const live = this.deps.engine.live();
    // After a manual rollback the newest applied serial is not the live one; it is not re-applied either.
    const superseded = live?.serial !== payload.serial;
    this.deps.log.info({ serial: payload.serial, superseded }, 'already applied; body not read');
    return {
      status: 'already_live',
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
    await this.recorder.refused(refusal, err, payload, trigger, durationMs, deploymentId);
    return {
      status: refusal.ours ? 'failed' : 'rejected',
      code: refusal.code,
      message: refusal.message,
      serial: payload?.serial,
      durationMs,
    };
  }
}
