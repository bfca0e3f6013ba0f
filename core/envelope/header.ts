// The `Skill-Sync-Envelope` HTTP header: the envelope JSON as base64url, size-capped before decoding.
import type { Envelope } from '../payload.js';
import { EnvelopeError } from './errors.js';
import { checkEnvelopeShape } from './payload-check.js';

export const ENVELOPE_HEADER = 'Skill-Sync-Envelope';
export const MAX_ENVELOPE_HEADER_BYTES = 16 * 1024;

export function encodeEnvelopeHeader(env: Envelope): string {
  return Buffer.from(JSON.stringify(env), 'utf8').toString('base64url');
}

export function decodeEnvelopeHeader(value: string, maxBytes = MAX_ENVELOPE_HEADER_BYTES): Envelope {
  if (typeof value !== 'string' || value.length === 0)
    throw new EnvelopeError('malformed', 'envelope header is empty');
  if (value.length > maxBytes)
    throw new EnvelopeError('malformed', `envelope header larger than ${maxBytes} bytes`);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value))
    throw new EnvelopeError('malformed', 'envelope header is not base64url');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new EnvelopeError('malformed', 'envelope header is not base64url JSON');
  }
  return checkEnvelopeShape(doc);
}
