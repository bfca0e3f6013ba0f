// The admission rule on its own: each check, its order, and the one code each refusal has on every path.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ReleasePayload } from '../../core/payload.js';
import { admitRelease, type AdmissionRules } from '../../receiver/admission.js';
import { HTTP_STATUS } from '../../receiver/app.js';
import { Refusal } from '../../receiver/refusal.js';

const NOW = Date.UTC(2026, 0, 1);
const rules: AdmissionRules = {
  allowedRepositories: ['acme/skills'],
  allowedRefs: ['refs/heads/main'],
  maxClockSkewMs: 5 * 60_000,
  maxBundleBytes: 1000,
};
const digest = 'a'.repeat(64);
const payload = (over: Partial<ReleasePayload> = {}): ReleasePayload => ({
  v: 1,
  repository: 'acme/skills',
  ref: 'refs/heads/main',
  commit: 'c'.repeat(40),
  serial: NOW - 1000,
  createdAt: new Date(NOW - 1000).toISOString(),
  trigger: 'push',
  bundle: { sha256: digest, size: 500 },
  skills: 1,
  ...over,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof Refusal) return err.code;
    throw err;
  }
  return undefined;
}

describe('admitRelease', () => {
  const top = { serial: NOW - 2000, digest: 'b'.repeat(64), outcome: 'success' as const };

  it('admits a newer release from the allowed source, and says when it is the one applied', () => {
    expect(admitRelease(payload(), rules, { highest: top, now: NOW })).toBe('new');
    expect(admitRelease(payload(), rules, { highest: null, now: NOW })).toBe('new');
    const applied = { serial: NOW - 1000, digest, outcome: 'success' as const };
    expect(admitRelease(payload(), rules, { highest: applied, now: NOW })).toBe('applied');
  });

  it('refuses by source, clock, serial, cap, size and digest, each with its one code', () => {
    const at = (p: ReleasePayload, facts = {}) =>
      codeOf(() => admitRelease(p, rules, { highest: top, now: NOW, ...facts }));
    expect(at(payload({ repository: 'evil/skills' }))).toBe('repository-not-allowed');
    expect(at(payload({ ref: 'refs/heads/dev' }))).toBe('ref-not-allowed');
    expect(at(payload({ serial: NOW + 3_600_000 }))).toBe('future-serial');
    expect(at(payload({ serial: NOW - 3000 }))).toBe('replay');
    expect(at(payload({ serial: NOW - 2000 }))).toBe('replay');
    const rolledBack = { serial: NOW - 1000, digest, outcome: 'rolled_back' as const };
    expect(at(payload(), { highest: rolledBack })).toBe('previously-refused');
    expect(at(payload({ bundle: { sha256: digest, size: 5000 } }))).toBe('too-large');
    expect(at(payload(), { bundle: { size: 499 } })).toBe('size-mismatch');
    expect(at(payload(), { bundle: { size: 500, sha256: 'c'.repeat(64) } })).toBe('digest-mismatch');
    expect(at(payload(), { bundle: { size: 500, sha256: digest } })).toBeUndefined();
  });

  it('an applied release is never refused for its body: the body is not read', () => {
    const applied = { serial: NOW - 1000, digest, outcome: 'success' as const };
    expect(admitRelease(payload(), rules, { highest: applied, bundle: { size: 1 }, now: NOW })).toBe(
      'applied',
    );
  });

  it('without a policy or state (skill-sync verify) checks the bundle against the envelope only', () => {
    const foreign = payload({ repository: 'other/repo', serial: NOW + 1e9 });
    expect(admitRelease(foreign, undefined, { bundle: { size: 500, sha256: digest } })).toBe('new');
    expect(codeOf(() => admitRelease(foreign, undefined, { bundle: { size: 501 } }))).toBe('size-mismatch');
  });
});

describe('the code vocabulary', () => {
  it('is kebab-case, and docs/receiver.md lists every code the HTTP table maps', async () => {
    const doc = await readFile(new URL('../../docs/receiver.md', import.meta.url), 'utf8');
    const missing = Object.keys(HTTP_STATUS).filter(
      (code) => !doc.includes(`\`${code}\``) && !(code.startsWith('oidc-') && doc.includes('`oidc-*`')),
    );
    expect(missing).toEqual([]);
    expect(Object.keys(HTTP_STATUS).filter((c) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c))).toEqual([]);
  });
});
