// Secret matching: runs the prefiltered rules over a text and returns verified, non-overlapping hits.
import { KEYWORDS, presentKeywords } from './keywords.js';
import { rules, type SecretRule } from './rules.js';

export interface SecretMatch {
  rule: SecretRule;
  /** UTF-16 offset of the secret's first character. */
  start: number;
  end: number;
  secret: string;
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61
  );
}

/**
 * Is `start` inside a base64 blob that is a data URI (`data:image/png;base64,…`) or an integrity string
 * (`sha512-…`)? Random base64 eventually contains `AIza…`-like runs; those are not keys. The last blob seen is
 * cached, so a megabyte blob with many look-alikes is walked once, not once per hit.
 */
class BlobDetector {
  private runStart = -1;
  private checkedTo = -1;
  private embedded = false;

  constructor(private readonly text: string) {}

  isEmbedded(start: number): boolean {
    const { text } = this;
    if (this.runStart >= 0 && start >= this.checkedTo) {
      let i = this.checkedTo;
      while (i < start && isBase64Char(text.charCodeAt(i))) i++;
      if (i === start) {
        this.checkedTo = start;
        return this.embedded;
      }
    }
    let i = start;
    while (i > 0 && isBase64Char(text.charCodeAt(i - 1))) i--;
    this.runStart = i;
    this.checkedTo = start;
    const before = text.slice(Math.max(0, i - 8), i);
    this.embedded = before.endsWith(';base64,') || /sha(?:1|256|384|512)-$/i.test(before);
    return this.embedded;
  }
}

/** Each rule's keywords as indices into KEYWORDS, the order of presentKeywords' answer. */
const KEYWORD_INDEX = new Map(rules.map((r) => [r, r.keywords.map((k) => KEYWORDS.indexOf(k))]));

function prefilterHit(rule: SecretRule, seen: boolean[]): boolean {
  for (const i of KEYWORD_INDEX.get(rule) as number[]) if (seen[i]) return true;
  return false;
}

/** `taken` is sorted and non-overlapping, so the one interval that could overlap is found by binary search. */
function overlaps(taken: SecretMatch[], start: number, end: number): boolean {
  let lo = 0;
  let hi = taken.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (taken[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  const next = taken[lo];
  return next !== undefined && next.start < end;
}

/**
 * All secrets in `text`, in order of position. Rules run in priority order; a later rule never re-reports.
 * `utf8`, when given, must be the bytes `text` was decoded from: the keyword prefilter reads them instead of
 * encoding the text again.
 */
export function findSecrets(text: string, utf8?: Uint8Array): SecretMatch[] {
  const found: SecretMatch[] = [];
  let blobs: BlobDetector | undefined;
  const seen = presentKeywords(text, utf8);
  for (const rule of rules) {
    if (!prefilterHit(rule, seen)) continue;
    const ruleHits: SecretMatch[] = [];
    const starts = new Set<number>();
    const consider = (m: RegExpExecArray): void => {
      const g = rule.group ?? 0;
      const candidate = m[g];
      const start = g === 0 ? m.index : m.indices?.[g]?.[0];
      if (candidate === undefined || start === undefined) return;
      const secret = rule.verify ? rule.verify(candidate, text, start) : candidate;
      if (secret === null) return;
      const end = start + secret.length;
      if (starts.has(start) || overlaps(found, start, end)) return;
      blobs ??= new BlobDetector(text);
      if (blobs.isEmbedded(start)) return;
      starts.add(start);
      ruleHits.push({ rule, start, end, secret });
    };
    const re = rule.pattern;
    if (rule.anchored) {
      // Every occurrence of the rule's present keywords, in text order (so the blob detector's cache walks each
      // base64 run once): the next one of each keyword is kept, and the smallest taken, so no list of all
      // positions is built and sorted per file.
      const words: string[] = [];
      const next: number[] = [];
      const indices = KEYWORD_INDEX.get(rule) as number[];
      for (let a = 0; a < indices.length; a++) {
        if (!seen[indices[a] as number]) continue;
        const anchor = rule.keywords[a] as string;
        words.push(anchor);
        next.push(text.indexOf(anchor));
      }
      for (;;) {
        let j = -1;
        for (let q = 0; q < next.length; q++) {
          const at = next[q] as number;
          if (at !== -1 && (j === -1 || at < (next[j] as number))) j = q;
        }
        if (j === -1) break;
        const i = next[j] as number;
        next[j] = text.indexOf(words[j] as string, i + 1);
        re.lastIndex = i;
        const m = re.exec(text);
        if (m !== null) consider(m);
      }
    } else {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) consider(m);
    }
    if (ruleHits.length > 0) {
      found.push(...ruleHits);
      found.sort((a, b) => a.start - b.start);
    }
  }
  return found;
}
