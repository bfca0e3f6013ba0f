// Release payload: the JSON statement the envelope signs (docs/contracts.md, envelope).

export const PAYLOAD_TYPE = 'application/vnd.skill-sync.release+json';

export type Trigger = 'push' | 'workflow_dispatch' | 'schedule' | 'cli';

export interface ReleasePayload {
  v: 1;
  repository: string;
  ref: string;
  commit: string;
  /** Strictly increasing: milliseconds since epoch at signing. */
  serial: number;
  createdAt: string;
  trigger: Trigger;
  bundle: { sha256: string; size: number };
  /** Number of skills in the bundle. */
  skills: number;
}

export interface Envelope {
  payload: string; // base64 (standard) of the payload JSON bytes
  payloadType: string;
  signatures: { keyid: string; sig: string }[]; // sig: base64
}
