// Shannon entropy and character-class counts: how "random" a candidate secret looks.

/** Bits per character of `s` (0 for empty strings). Random base62 of length 36 scores about 4.8. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export interface CharClasses {
  lower: boolean;
  upper: boolean;
  digit: boolean;
  other: boolean;
}

export function charClasses(s: string): CharClasses {
  const classes = { lower: false, upper: false, digit: false, other: false };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) classes.lower = true;
    else if (c >= 65 && c <= 90) classes.upper = true;
    else if (c >= 48 && c <= 57) classes.digit = true;
    else classes.other = true;
  }
  return classes;
}

export function classCount(s: string): number {
  const c = charClasses(s);
  return Number(c.lower) + Number(c.upper) + Number(c.digit) + Number(c.other);
}
