// The judge of one release: what GitHub's latest release means for this receiver, downloading only what that needs.
import {
  AssetTooLarge,
  BUNDLE_ASSET,
  downloadAsset,
  ENVELOPE_ASSET,
  type GitHubTarget,
  type ReleaseInfo,
} from '../../core/release/index.js';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import type { Admission } from '../admission.js';
import type { HighestSerial } from '../engine/index.js';
import type { Log } from '../log.js';
import type { DeployOutcome } from '../outcome.js';
import { Refusal } from '../refusal.js';
import type { PollerState, SeenRelease } from './state.js';
import type { PollResult, PollTarget } from './types.js';

export interface JudgeContext {
  github: GitHubTarget;
  target: PollTarget;
  log: Log;
  maxEnvelopeBytes: number;
  downloadDeadlineMs: number;
  /** The poller's memory: the verdict on this release and the latest serial seen are written here. */
  state: PollerState;
}

/**
 * Judges (and, when new, deploys) one release. A refusal is final for this release: remembered, so the same
 * release is not fetched again. Other errors (network, GitHub) are thrown, to be retried with backoff.
 */
export async function judgeRelease(
  ctx: JudgeContext,
  release: ReleaseInfo,
  trigger: 'polling' | 'manual',
  signal: AbortSignal,
): Promise<PollResult> {
  try {
    return await judge(ctx, release, trigger, signal);
  } catch (err) {
    if (err instanceof Refusal) return refused(ctx, release, err.code, err.message);
    throw err;
  }
}

async function judge(
  ctx: JudgeContext,
  release: ReleaseInfo,
  trigger: 'polling' | 'manual',
  signal: AbortSignal,
): Promise<PollResult> {
  const { target, log } = ctx;
  const env = release.assets.find((a) => a.name === ENVELOPE_ASSET);
  const bun = release.assets.find((a) => a.name === BUNDLE_ASSET);
  if (!env || !bun)
    throw new Refusal(
      'assets-missing',
      `release ${release.tag} lacks ${!env ? ENVELOPE_ASSET : BUNDLE_ASSET}`,
    );
  const top = target.highestSerial();
  const cached = fromCache(ctx.state, release, env.id, bun.id, top);
  if (cached) return cached;

  const envelope = await fetchEnvelope(ctx, env, signal);
  let payload: ReleasePayload;
  try {
    payload = await target.verify(envelope, 'poll');
  } catch (err) {
    // The OIDC issuer's keys being unreachable says nothing about the release: retry it after a backoff.
    if ((err as { code?: unknown }).code === 'oidc-unavailable') throw err;
    const code = (err as { code?: unknown }).code;
    return refused(
      ctx,
      release,
      typeof code === 'string' ? code : 'malformed',
      `envelope does not verify: ${(err as Error).message}`,
    );
  }
  ctx.state.latestReleaseSerial = payload.serial;
  const base = { release: release.tag, serial: payload.serial };

  let admission: Admission;
  try {
    // GitHub's declared asset size is checked against the signed one before a byte of the bundle is read.
    admission = target.admit(payload, { size: bun.size });
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    if (err.code === 'replay') {
      // Rollback protection: an older (or replayed) release marked latest on GitHub is never applied.
      log.warn({ release: release.tag, serial: payload.serial, applied: top?.serial }, err.message);
      await target.recordSkipped?.(payload, err.message);
      if (top && payload.serial < top.serial) {
        remember(ctx.state, release, 'older', payload);
        return { result: 'older_ignored', ...base, message: err.message };
      }
    }
    return refused(ctx, release, err.code, err.message, payload);
  }
  if (admission === 'applied') {
    remember(ctx.state, release, 'up_to_date', payload);
    return { result: 'up_to_date', ...base };
  }

  let stream: AsyncIterable<Uint8Array>;
  try {
    stream = await downloadAsset(ctx.github, bun, {
      maxBytes: payload.bundle.size,
      signal,
      deadlineMs: ctx.downloadDeadlineMs,
    });
  } catch (err) {
    // A declared size over the signed one will not shrink on a retry: refused, not retried.
    if (err instanceof AssetTooLarge) return refused(ctx, release, err.code, err.message, payload);
    throw err;
  }
  const tracked = new Tracked(stream);
  const outcome = await target.deployFetched(envelope as Envelope, payload, tracked, trigger);
  if (tracked.error instanceof AssetTooLarge)
    return refused(ctx, release, tracked.error.code, tracked.error.message, payload, outcome);
  if (tracked.error) throw tracked.error; // transient download failure: retried with backoff, ETag not kept
  switch (outcome.status) {
    case 'deployed':
    case 'rolled_back':
      remember(ctx.state, release, 'applied', payload);
      log.info(
        { release: release.tag, serial: payload.serial, status: outcome.status, trigger },
        'release applied from GitHub',
      );
      return { result: 'new_release', ...base, outcome };
    case 'already_live':
      remember(ctx.state, release, 'up_to_date', payload);
      return { result: 'up_to_date', ...base, outcome };
    case 'rejected':
      return refused(
        ctx,
        release,
        outcome.code ?? 'internal',
        outcome.message ?? 'deployment rejected',
        payload,
        outcome,
      );
    default:
      return {
        result: 'error',
        ...base,
        outcome,
        code: outcome.code ?? 'apply-failed',
        message: outcome.message ?? 'deployment failed',
      };
  }
}

function refused(
  ctx: JudgeContext,
  release: ReleaseInfo,
  code: string,
  message: string,
  payload?: ReleasePayload,
  outcome?: DeployOutcome,
): PollResult {
  ctx.log.warn({ release: release.tag, serial: payload?.serial, code }, `release refused: ${message}`);
  remember(ctx.state, release, 'refused', payload, code);
  const r: PollResult = { result: 'refused', release: release.tag, code, message };
  if (payload) r.serial = payload.serial;
  if (outcome) r.outcome = outcome;
  return r;
}

function remember(
  state: PollerState,
  release: ReleaseInfo,
  verdict: SeenRelease['verdict'],
  payload?: ReleasePayload,
  code?: string,
): void {
  const seen: SeenRelease = { id: release.id, tag: release.tag, verdict };
  const env = release.assets.find((a) => a.name === ENVELOPE_ASSET);
  const bun = release.assets.find((a) => a.name === BUNDLE_ASSET);
  if (env) seen.envelopeAssetId = env.id;
  if (bun) seen.bundleAssetId = bun.id;
  if (payload) {
    seen.serial = payload.serial;
    seen.digest = payload.bundle.sha256;
  }
  if (code) seen.code = code;
  state.lastRelease = seen;
}

/**
 * GitHub's JSON changes when only download_count does, so a 200 can describe a release we already judged.
 * Same release and same asset ids: reuse the verdict instead of downloading again.
 */
function fromCache(
  state: PollerState,
  release: ReleaseInfo,
  envId: number,
  bunId: number,
  top: HighestSerial | null,
): PollResult | undefined {
  const seen = state.lastRelease;
  if (!seen || seen.id !== release.id || seen.envelopeAssetId !== envId || seen.bundleAssetId !== bunId)
    return undefined;
  const base: PollResult = { result: 'up_to_date', release: release.tag };
  if (seen.serial !== undefined) base.serial = seen.serial;
  if (seen.verdict === 'refused')
    return {
      ...base,
      result: 'refused',
      code: seen.code ?? 'internal',
      message: 'release was refused before',
    };
  if (seen.verdict === 'older' && top && seen.serial !== undefined && seen.serial < top.serial)
    return { ...base, result: 'older_ignored' };
  if (top && seen.serial === top.serial && seen.digest === top.digest) return base;
  return undefined;
}

async function fetchEnvelope(
  ctx: JudgeContext,
  asset: { id: number; size: number },
  signal: AbortSignal,
): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const c of await downloadAsset(ctx.github, asset, {
      maxBytes: ctx.maxEnvelopeBytes,
      signal,
      deadlineMs: ctx.downloadDeadlineMs,
    }))
      chunks.push(c);
  } catch (err) {
    // Like an envelope header over MAX_ENVELOPE_BYTES on a push: malformed, for good.
    if (err instanceof AssetTooLarge) throw new Refusal('malformed', `${ENVELOPE_ASSET}: ${err.message}`);
    throw err;
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Refusal('malformed', `${ENVELOPE_ASSET} is not JSON`);
  }
}

/** Passes the download through and keeps its error, so a deploy failure can be traced to the network or the cap. */
class Tracked implements AsyncIterable<Uint8Array> {
  error: Error | undefined;
  constructor(private readonly inner: AsyncIterable<Uint8Array>) {}
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      yield* this.inner;
    } catch (err) {
      this.error = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }
}
