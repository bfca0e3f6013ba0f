// Release admission: the one rule deciding whether a signed release may be applied (push, poller, `cli verify`).
import type { ReleasePayload } from '../core/payload.js';
import type { ReceiverConfig } from './config.js';
import type { HighestSerial } from './engine/index.js';
import { Refusal } from './refusal.js';
import { checkNotFuture, checkSource } from './source-policy.js';

/** This receiver's policy; `cli verify`, which has none, checks the bundle against the envelope only. */
export type AdmissionRules = Pick<
  ReceiverConfig,
  'allowedRepositories' | 'allowedRefs' | 'maxClockSkewMs' | 'maxBundleBytes'
>;

/** What is known about the release so far; each check runs as soon as its fact is there. */
export interface ReleaseFacts {
  /** The highest serial applied here (null: none yet). Absent: no receiver state to check against. */
  highest?: HighestSerial | null;
  /** The bundle as declared (Content-Length, GitHub's asset size) or as read (then with its sha256). */
  bundle?: { size: number; sha256?: string };
  now?: number;
}

/** `applied`: this exact release is the highest applied one; its body is never read again. */
export type Admission = 'new' | 'applied';

/**
 * Throws a Refusal, or says whether the release is new. Called before any byte of the body is read, and
 * again with the received bytes inside the deployment queue (docs/architecture.md: verify before parse).
 */
export function admitRelease(
  payload: ReleasePayload,
  rules: AdmissionRules | undefined,
  facts: ReleaseFacts = {},
): Admission {
  if (rules) {
    checkSource(payload, rules);
    checkNotFuture(payload, rules.maxClockSkewMs, facts.now);
  }
  if (facts.highest !== undefined && checkSerial(payload, facts.highest) === 'applied') return 'applied';
  if (rules && payload.bundle.size > rules.maxBundleBytes)
    throw new Refusal(
      'too-large',
      `signed bundle of ${payload.bundle.size} bytes exceeds MAX_BUNDLE_BYTES (${rules.maxBundleBytes})`,
    );
  if (facts.bundle) checkBundle(facts.bundle, payload.bundle);
  return 'new';
}

/**
 * The serial rule (docs/security.md). Lower, or equal with another digest, is a replay or a rollback attack;
 * the same digest is already applied.
 */
function checkSerial(payload: ReleasePayload, top: HighestSerial | null): Admission {
  if (!top || payload.serial > top.serial) return 'new';
  if (payload.serial === top.serial && payload.bundle.sha256 === top.digest) {
    // A release the health check rolled back stays refused: sign a fixed one instead.
    if (top.outcome !== 'success')
      throw new Refusal('previously-refused', `serial ${payload.serial} was applied and rolled back`);
    return 'applied';
  }
  throw new Refusal(
    'replay',
    payload.serial < top.serial
      ? `serial ${payload.serial} is older than the applied ${top.serial} (rollback refused)`
      : `serial ${payload.serial} was applied with another digest (replay refused)`,
  );
}

/** The bundle must be the signed one: its size first (known before the body), then its digest. */
function checkBundle(bundle: { size: number; sha256?: string }, signed: ReleasePayload['bundle']): void {
  if (bundle.size !== signed.size)
    throw new Refusal(
      'size-mismatch',
      `the bundle is ${bundle.size} bytes, the envelope signed ${signed.size}`,
    );
  if (bundle.sha256 !== undefined && bundle.sha256 !== signed.sha256)
    throw new Refusal('digest-mismatch', 'the bundle sha256 differs from the signed digest');
}
