// Refusal: a request or release skill-sync will not apply, with a stable kebab-case code (docs/receiver.md).
import type { BundleErrorCode } from '../core/bundle/index.js';
import type { EnvelopeErrorCode } from '../core/envelope/index.js';

/** The receiver's own refusal codes; the envelope and bundle codes come from core. */
export type ReceiverRefusalCode =
  | 'missing-envelope'
  | 'repository-not-allowed'
  | 'ref-not-allowed'
  | 'future-serial'
  | 'replay'
  | 'previously-refused'
  | 'size-mismatch'
  | 'digest-mismatch'
  | 'skills-mismatch'
  | 'invalid-skills'
  | 'asset-too-large'
  | 'assets-missing'
  | 'unknown-release'
  | 'no-previous-release'
  | 'carry-over-mismatch'
  | 'serial-not-ahead'
  | 'disk-full'
  | 'internal';

export type RefusalCode = ReceiverRefusalCode | EnvelopeErrorCode | BundleErrorCode;

/** Refusals that are this receiver's fault, not the sender's: reported as `failed`, worth a retry. */
const OURS: ReadonlySet<RefusalCode> = new Set(['internal', 'disk-full', 'oidc-unavailable']);

export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }

  /** True when the fault is ours (disk, issuer, bug): the attempt failed rather than being rejected. */
  get ours(): boolean {
    return OURS.has(this.code);
  }
}
