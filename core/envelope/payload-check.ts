// Strict shape checks for envelopes (before verifying) and release payloads (after verifying).
import type { Envelope, ReleasePayload, Trigger } from '../payload.js';
import { EnvelopeError } from './errors.js';

/** More signatures than this is not a rotation, it is an attempt to burn CPU. */
export const MAX_SIGNATURES = 8;
const TRIGGERS: readonly Trigger[] = ['push', 'workflow_dispatch', 'schedule', 'cli'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, allowed: string[]): boolean {
  return Object.keys(o).every((k) => allowed.includes(k));
}

export function isBase64(s: string): boolean {
  return BASE64.test(s);
}

export function checkEnvelopeShape(v: unknown): Envelope {
  const bad = (msg: string): never => {
    throw new EnvelopeError('malformed', msg);
  };
  if (!isObject(v)) bad('envelope is not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.payload !== 'string' || !isBase64(o.payload)) bad('payload must be a base64 string');
  if (typeof o.payloadType !== 'string') bad('payloadType must be a string');
  if (!Array.isArray(o.signatures) || o.signatures.length === 0) bad('signatures must be a non-empty array');
  const sigs = o.signatures as unknown[];
  if (sigs.length > MAX_SIGNATURES) bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = sigs.map((s) => {
    if (!isObject(s) || typeof s.sig !== 'string' || !isBase64(s.sig))
      bad('each signature needs a base64 sig');
    const sig = s as { sig: string; keyid?: unknown };
    if (sig.keyid !== undefined && typeof sig.keyid !== 'string') bad('keyid must be a string');
    return { keyid: typeof sig.keyid === 'string' ? sig.keyid : '', sig: sig.sig };
  });
  return { payload: o.payload as string, payloadType: o.payloadType as string, signatures };
}

export function checkPayload(v: unknown): ReleasePayload {
  const bad = (msg: string): never => {
    throw new EnvelopeError('bad-payload', msg);
  };
  if (!isObject(v)) return bad('payload is not a JSON object');
  const keys = ['v', 'repository', 'ref', 'commit', 'serial', 'createdAt', 'trigger', 'bundle', 'skills'];
  if (!onlyKeys(v, keys)) bad('payload has unknown fields');
  if (v.v !== 1) bad('payload v must be 1');
  for (const k of ['repository', 'ref', 'commit', 'createdAt'] as const) {
    if (typeof v[k] !== 'string') bad(`payload ${k} must be a string`);
  }
  if (Number.isNaN(Date.parse(v.createdAt as string))) bad('payload createdAt is not a date');
  if (typeof v.serial !== 'number' || !Number.isSafeInteger(v.serial) || v.serial <= 0) {
    bad('payload serial must be a positive integer');
  }
  if (!TRIGGERS.includes(v.trigger as Trigger)) bad('payload trigger is not one of ' + TRIGGERS.join(', '));
  const b = v.bundle;
  if (!isObject(b) || !onlyKeys(b, ['sha256', 'size'])) return bad('payload bundle must be {sha256, size}');
  if (typeof b.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(b.sha256))
    bad('payload bundle.sha256 must be 64 hex');
  if (typeof b.size !== 'number' || !Number.isSafeInteger(b.size) || b.size < 0)
    bad('payload bundle.size is invalid');
  if (typeof v.skills !== 'number' || !Number.isSafeInteger(v.skills) || v.skills < 0)
    bad('payload skills is invalid');
  return {
    v: 1,
    repository: v.repository as string,
    ref: v.ref as string,
    commit: v.commit as string,
    serial: v.serial as number,
    createdAt: v.createdAt as string,
    trigger: v.trigger as Trigger,
    bundle: { sha256: b.sha256 as string, size: b.size as number },
    skills: v.skills as number,
  };
}
