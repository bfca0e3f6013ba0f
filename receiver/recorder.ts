// Recorder: every deployment attempt on the audit trail, in the metrics and the log, and the recent ones for /health.
import type { AuditInput, AuditRecord, AuditTrail, AuditTrigger } from '../core/audit/index.js';
import type { GatewayReport } from '../core/gateway/report.js';
import type { BundleManifest } from '../core/bundle-manifest.js';
import type { ReleasePayload } from '../core/payload.js';
import type { ReceiverConfig } from './config.js';
import type { ApplyResult, Engine } from './engine/index.js';
import type { Log } from './log.js';
import type { Metrics } from './metrics.js';
import type { Refusal } from './refusal.js';
import { SampledLog } from './sampled-log.js';

interface Deps {
  engine: Engine;
  audit: AuditTrail;
  cfg: ReceiverConfig;
  metrics: Metrics;
  log: Log;
}

export class Recorder {
  /** Recent audit records, newest first, so /health never re-reads the audit file. */
  readonly recent: AuditRecord[] = [];
  /** Refusals before a valid signature: counted and sampled, never audited (anyone can send them). */
  private readonly unsigned: SampledLog;

  constructor(private readonly deps: Deps) {
    this.unsigned = new SampledLog(deps.log);
  }

  /** An apply that ran: counted, timed and audited with the skills it tried to make live. */
  async applied(
    result: ApplyResult,
    trigger: AuditTrigger,
    durationMs: number,
    payload: ReleasePayload | undefined,
    attempted: BundleManifest | undefined,
    previousDeploymentId: string | undefined,
  ): Promise<void> {
    const { metrics, cfg } = this.deps;
    const live = result.live;
    metrics.deployments.inc({ status: result.status, trigger });
    metrics.deployDuration.observe({ status: result.status }, durationMs / 1000);
    if (result.status === 'rolled_back') metrics.healthFailures.inc();
    // The engine reloads once per switch: once on success, twice when it had to switch back.
    if (cfg.reloadUrl || cfg.reloadFile) metrics.reloads.inc(result.status === 'rolled_back' ? 2 : 1);
    await this.record({
      deploymentId: result.deploymentId,
      trigger,
      status: result.status,
      durationMs,
      ...(payload ? payloadFields(payload) : this.liveFields()),
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
  }

  /** A refusal: counted, logged, and audited unless nothing was signed yet. */
  async refused(
    refusal: Refusal,
    cause: unknown,
    payload: ReleasePayload | undefined,
    trigger: AuditTrigger,
    durationMs: number,
    deploymentId: string,
  ): Promise<void> {
    const { metrics, log } = this.deps;
    metrics.rejected.inc({ reason: refusal.code });
    // Nothing signed yet: junk from anyone must not rotate the audit trail or push real history out of /health.
    // An issuer we cannot reach is our fault, but the token in hand is still unverified: anyone can send one.
    const unverified = !refusal.ours || refusal.code === 'oidc-unavailable';
    const unsigned = !payload && trigger === 'webhook' && unverified;
    if (unsigned) this.unsigned.warn(refusal.code, { code: refusal.code, trigger }, refusal.message);
    else if (refusal.ours) log.error({ err: cause, trigger }, 'deployment failed');
    else log.warn({ code: refusal.code, trigger, serial: payload?.serial }, refusal.message);
    if (unsigned) return;
    await this.record({
      deploymentId,
      trigger,
      status: refusal.ours ? 'failed' : 'rejected',
      reason: refusal.code,
      error: refusal.message,
      durationMs,
      ...(payload ? payloadFields(payload) : {}),
    });
  }

  /** A release not applied and not refused by the push path (older on GitHub, an operator's reset). */
  async noted(input: AuditInput): Promise<void> {
    await this.record(input);
  }

  private countGateway(report: GatewayReport): void {
    const { metrics } = this.deps;
    metrics.gatewayChecks.inc({ result: report.result });
    for (const state of ['loaded', 'skipped', 'shadowed', 'not_eligible'] as const)
      metrics.gatewaySkills.set({ state }, report.skills.filter((s) => s.state === state).length);
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

export function payloadFields(p: ReleasePayload): Partial<AuditInput> {
  return {
    repository: p.repository,
    commit: p.commit,
    ref: p.ref,
    serial: p.serial,
    bundleSha256: p.bundle.sha256,
  };
}
