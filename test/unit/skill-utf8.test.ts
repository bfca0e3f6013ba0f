// SKILL.md's UTF-8 check: the native fast path and the byte walk agree on what is valid UTF-8.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../core/skill/validate.js';

/** Valid UTF-8 exactly when decoding and encoding again gives the same bytes (U+FFFD marks what was not). */
const roundTrips = (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('utf8'), 'utf8').equals(b);

describe('firstInvalidUtf8', () => {
  it('is -1 exactly for valid UTF-8, and otherwise points at a byte where decoding breaks', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      // Valid text with one byte changed: truncated sequences, stray continuation bytes, overlongs, surrogates.
      fc
        .tuple(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
        )
        .map(([s, at, v]) => {
          const b = new Uint8Array(Buffer.from(s, 'utf8'));
          b[at % b.length] = v;
          return b;
        }),
      fc
        .constantFrom(
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
          [0xe2, 0x82],
          [0x41, 0xf0, 0x9f, 0x98, 0x80],
        )
        .map((a) => new Uint8Array(a)),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === -1).toBe(roundTrips(b));
        if (at !== -1) {
          expect(roundTrips(b.subarray(0, at))).toBe(true);
          expect(roundTrips(b.subarray(at))).toBe(false);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
