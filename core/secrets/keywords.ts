// The rules' keyword prefilter: which keywords occur in a text, found in one pass over its UTF-8 bytes.
import { rules } from './rules.js';

/**
 * Every distinct keyword of every rule. They are ASCII, which is what makes the byte pass exact: in UTF-8 an ASCII
 * byte only ever stands for itself (never inside a multi-byte character, and a decoder's U+FFFD never swallows
 * one), so two ASCII characters are adjacent in the text exactly when their bytes are adjacent in its encoding.
 */
export const KEYWORDS: readonly string[] = [...new Set(rules.flatMap((r) => r.keywords))];
for (const k of KEYWORDS) {
  if (!/^[\x20-\x7e]{2,}$/.test(k))
    throw new Error(`secret rule keyword must be 2+ printable ASCII characters: ${k}`);
}

/** A Uint16Array word holds two bytes in the platform's order; pairs are keyed as the words read them. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const pairKey = (a: number, b: number) => (LITTLE_ENDIAN ? a | (b << 8) : (a << 8) | b);

/** The byte pairs each keyword needs: a text missing any of them cannot contain the keyword. */
const NEEDED = KEYWORDS.map((k) => {
  const pairs: number[] = [];
  for (let i = 1; i < k.length; i++) pairs.push(pairKey(k.charCodeAt(i - 1), k.charCodeAt(i)));
  return { k, pairs };
});

/** One slot per byte pair, holding the mark of the last text that had it, so the table is cleared once per 255. */
const seenPairs = new Uint8Array(65536);
let mark = 0;

/**
 * Marks every adjacent byte pair of `bytes`, two bytes per load: each 16-bit word is one pair, and the last byte
 * of a word with the first of the next is another. Word reads are why this pass is cheap; byte-by-byte it cost
 * about twice as much (docs/decisions.md, "Validate speed").
 */
function markPairs(bytes: Uint8Array): number {
  mark = mark === 255 ? 1 : mark + 1;
  if (mark === 1) seenPairs.fill(0);
  const m = mark;
  const n = bytes.length;
  // Big-endian machines (none that GitHub's runners use) take the plain byte loop.
  if (!LITTLE_ENDIAN) {
    for (let i = 1; i < n; i++) seenPairs[pairKey(bytes[i - 1] as number, bytes[i] as number)] = m;
    return m;
  }
  if (n < 2) return m;
  // Word reads need an even offset: an odd start has its first pair marked on its own.
  const skew = bytes.byteOffset & 1;
  if (skew) seenPairs[(bytes[0] as number) | ((bytes[1] as number) << 8)] = m;
  const words = new Uint16Array(bytes.buffer, bytes.byteOffset + skew, (n - skew) >> 1);
  const count = words.length;
  if (count > 0) {
    // No module-level constant in this loop: V8 does not fold those, and the test costs as much as the rest.
    let prev = words[0] as number;
    seenPairs[prev] = m;
    for (let i = 1; i < count; i++) {
      const w = words[i] as number;
      seenPairs[w] = m;
      seenPairs[(prev >>> 8) | ((w & 0xff) << 8)] = m;
      prev = w;
    }
  }
  // A byte left after the last whole word pairs with the one before it.
  const end = skew + count * 2;
  if (end < n) seenPairs[(bytes[end - 1] as number) | ((bytes[end] as number) << 8)] = m;
  return m;
}

/**
 * Which keywords occur in `text`, by index in KEYWORDS: the same answers as `text.includes(k)` for every keyword.
 * One pass over the text's UTF-8 bytes (`utf8`, when the caller has them, else encoded here) rules out every
 * keyword missing a byte pair; `includes` (one whole-text search each) runs only for the few that remain. The
 * answer is a small array, not a map: one is made per scanned file, and a repo has tens of thousands.
 */
export function presentKeywords(text: string, utf8?: Uint8Array): boolean[] {
  const m = markPairs(utf8 ?? Buffer.from(text, 'utf8'));
  const present = new Array<boolean>(NEEDED.length);
  for (let i = 0; i < NEEDED.length; i++) {
    const { k, pairs } = NEEDED[i] as (typeof NEEDED)[number];
    let maybe = true;
    for (const p of pairs) {
      if (seenPairs[p] !== m) {
        maybe = false;
        break;
      }
    }
    present[i] = maybe && text.includes(k);
  }
  return present;
}
