// Manifest `retain` (on-invalid: skip): written only when something was skipped, parsed back strictly.
import { describe, expect, it } from 'vitest';
import { buildManifest, canonicalJson, parseManifest } from '../../core/bundle/index.js';

const doc = (extra: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 1, skills: [], ...extra }));

describe('manifest retain', () => {
  it('is absent without skips, so bundles without skips keep their bytes', () => {
    expect(canonicalJson(buildManifest([]))).toBe('{"skills":[],"v":1}\n');
    expect(buildManifest([], ['b', 'a', 'a', '../x']).retain).toEqual(['a', 'b']);
  });

  it('parses names back, and refuses bad, repeated or shipped-and-retained names', () => {
    expect(parseManifest(doc({ retain: ['beta'] })).retain).toEqual(['beta']);
    expect(parseManifest(doc({})).retain).toBeUndefined();
    expect(() => parseManifest(doc({ retain: 'beta' }))).toThrow(/retain must be an array/);
    expect(() => parseManifest(doc({ retain: ['../etc'] }))).toThrow(/retain\[0\]: bad name/);
    expect(() => parseManifest(doc({ retain: ['a', 'a'] }))).toThrow(/twice/);
    const shipped = {
      name: 'beta',
      version: '1',
      path: 'skills/beta',
      source: 'beta',
      fingerprint: 'a'.repeat(64),
      files: [],
    };
    expect(() => parseManifest(doc({ skills: [shipped], retain: ['beta'] }))).toThrow(
      /both shipped and retained/,
    );
  });
});
