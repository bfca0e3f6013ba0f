// The poller's contracts: what it needs from the receiver, its options, and what one poll and its status report.
import type { GitHubTarget } from '../../core/release/index.js';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import type { Admission, ReleaseFacts } from '../admission.js';
import type { HighestSerial } from '../engine/index.js';
import type { Log } from '../log.js';
import type { DeployOutcome } from '../outcome.js';

/** What the poller needs from the receiver: the one verify/admit/apply path (receiver/deployer.ts). */
export interface PollTarget {
  /** Throws on a bad envelope (signature, payloadType, shape); `poll` forgives an OIDC token's expiry only. */
  verify(envelope: unknown, path: 'poll'): ReleasePayload | Promise<ReleasePayload>;
  /** Highest serial applied, with its bundle digest. */
  highestSerial(): HighestSerial | null;
  /** The admission rule (receiver/admission.ts): throws a Refusal, or says whether the release is new. */
  admit(payload: ReleasePayload, bundle?: ReleaseFacts['bundle']): Admission;
  /**
   * Streams the body and checks its size and digest outside the deployment queue, then takes the queue only
   * to apply: a slow or stalled download never holds up a push (docs/security.md).
   */
  deployFetched(
    envelope: Envelope,
    payload: ReleasePayload,
    body: AsyncIterable<Uint8Array>,
    trigger: 'polling' | 'manual',
  ): Promise<DeployOutcome>;
  /** An older release marked latest, or a replayed serial: not applied, but on the record. */
  recordSkipped?(payload: ReleasePayload, reason: string): Promise<void>;
}

export type PollResultKind =
  'not_modified' | 'up_to_date' | 'new_release' | 'older_ignored' | 'refused' | 'error' | 'rate_limited';

export interface PollResult {
  result: PollResultKind;
  outcome?: DeployOutcome;
  /** Release tag. */
  release?: string;
  serial?: number;
  /** Stable kebab-case code for refused / error results (e.g. `digest-mismatch`, `github-http-500`). */
  code?: string;
  message?: string;
  /** Epoch ms, for rate_limited. */
  retryAt?: number;
}

export interface PollerOptions {
  github: GitHubTarget;
  intervalMs: number;
  /** Extra random delay as a fraction of the wait (0.1 = up to +10%); never shortens it. Default 0.1. */
  jitter?: number;
  /** <data>/skill-sync/poller.json */
  statePath: string;
  maxEnvelopeBytes?: number;
  target: PollTarget;
  log?: Log;
  onResult?(r: PollResult): void;
  /**
   * Total deadline of each download (the release JSON, the envelope, the bundle), which a trickle of bytes
   * cannot reset, unlike the idle timeout; default 5 minutes.
   */
  downloadDeadlineMs?: number;
  /** Cap on each page of the release list; default core/release's MAX_RELEASE_PAGE_BYTES. */
  maxReleasePageBytes?: number;
  /** Backoff cap as a multiple of the interval; default 8. */
  maxBackoffFactor?: number;
  now?: () => number;
  random?: () => number;
}

export interface PollerStatus {
  enabled: true;
  state: 'idle' | 'polling' | 'backoff' | 'rate_limited';
  lastCheckAt?: string;
  lastResult?: PollResultKind;
  lastEtagResult?: 'not_modified' | 'modified';
  lastRelease?: { tag: string; serial?: number };
  nextCheckAt?: string;
  rateLimitRemaining?: number;
  rateLimitedUntil?: string;
  consecutiveErrors: number;
  latestReleaseSerial?: number;
}
