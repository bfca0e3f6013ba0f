// Deploy outcome: what one deployment attempt came to, in domain terms (app.ts maps its code to HTTP).
import { BundleError } from '../core/bundle/index.js';
import { EnvelopeError } from '../core/envelope/index.js';
import type { GatewayReport } from '../core/gateway/report.js';
import { AssetTooLarge } from '../core/release/index.js';
import { EngineError } from './engine/index.js';
import { Refusal, type RefusalCode } from './refusal.js';

export type DeployStatus = 'deployed' | 'already_live' | 'rolled_back' | 'failed' | 'rejected';

/** An apply that ran but did not stay live: the health check or the gateway check switched back, or it broke. */
export type ApplyFailureCode = 'health-check-failed' | 'gateway-check-failed' | 'apply-failed';

export type OutcomeCode = RefusalCode | ApplyFailureCode;

export interface DeployOutcome {
  status: DeployStatus;
  /** Set for every status but `deployed` and `already_live`. */
  code?: OutcomeCode;
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

/** Maps any error to a Refusal; unknown errors become `internal` without leaking their text to clients. */
export function asRefusal(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof EnvelopeError || err instanceof BundleError) return new Refusal(err.code, err.message);
  if (err instanceof AssetTooLarge) return new Refusal('asset-too-large', err.message);
  if (err instanceof EngineError) {
    if (err.code === 'ENGINE_UNKNOWN_RELEASE') return new Refusal('unknown-release', err.message);
    if (err.code === 'ENGINE_NO_PREVIOUS') return new Refusal('no-previous-release', err.message);
    if (err.code === 'ENGINE_CARRY_MISMATCH') return new Refusal('carry-over-mismatch', err.message);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new Refusal('disk-full', 'no space left on the data volume');
  return new Refusal('internal', 'internal error (see receiver logs)');
}
