// The secret rules' keyword prefilter answers exactly like `includes` per keyword, whatever the text or its bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEYWORDS, presentKeywords } from '../../core/secrets/keywords.js';

/** What the prefilter must equal: a whole-text search per keyword. */
function expected(text: string): boolean[] {
  return KEYWORDS.map((k) => text.includes(k));
}
const at = (k: string) => KEYWORDS.indexOf(k);

/** Texts made of keyword pieces, so keywords and near misses occur often, mixed with non-ASCII characters. */
const pieces = fc.constantFrom(
  ...KEYWORDS,
  ...KEYWORDS.map((k) => k.slice(1)),
  ...KEYWORDS.map((k) => k.slice(0, -1)),
  'é',
  'ü',
  '€',
  '😀',
  '\ud800',
  '\udc00',
  '\ufeff',
  '\u0000',
  ' ',
  '\n',
  'k',
  'e',
  'y',
);
const texts = fc.oneof(
  fc.array(pieces, { maxLength: 40 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
);

describe('secret keyword prefilter', () => {
  it('matches includes for every keyword, from the text alone', () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(presentKeywords(text)).toEqual(expected(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches includes when given the bytes the text was decoded from, at any offset, valid UTF-8 or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          texts.map((t) => Buffer.from(t, 'utf8')),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc
            .array(
              fc.oneof(
                pieces.map((p) => Buffer.from(p)),
                fc.uint8Array({ maxLength: 3 }),
              ),
              {
                maxLength: 30,
              },
            )
            .map((parts) => Buffer.concat(parts)),
        ),
        fc.nat(7),
        (bytes, offset) => {
          // The same bytes at an odd or even place in a bigger buffer: the word reads must not care.
          const host = new Uint8Array(bytes.length + offset);
          host.set(bytes, offset);
          const view = host.subarray(offset);
          const text = Buffer.from(view).toString('utf8');
          expect(presentKeywords(text, view)).toEqual(expected(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('finds a keyword at the very start and the very end, and across the word boundary', () => {
    for (const k of KEYWORDS) {
      for (const pad of ['', 'x', 'xy', 'xyz']) {
        for (const text of [k + pad, pad + k, pad + k + pad]) {
          const bytes = Buffer.from(text);
          for (let offset = 0; offset < 2; offset++) {
            const host = new Uint8Array(bytes.length + offset);
            host.set(bytes, offset);
            expect(presentKeywords(text, host.subarray(offset))[at(k)]).toBe(true);
          }
        }
      }
    }
  });

  it('says no for texts with every byte pair of a keyword but not the keyword', () => {
    // `ken`'s pairs `ke` and `en`, apart; a lone byte; nothing at all.
    expect(presentKeywords('ke en')[at('ken')]).toBe(false);
    expect(presentKeywords('k')[at('ken')]).toBe(false);
    expect(presentKeywords('')[at('ken')]).toBe(false);
  });
});
