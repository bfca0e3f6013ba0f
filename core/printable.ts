// Terminal-safe text: control characters (escape sequences, bidi overrides) shown as visible escapes.

const UNSAFE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * What the CLI prints comes partly from receivers and audit files, which a signer or an attacker wrote: an
 * ESC could erase lines or write the clipboard, so every such character is printed as `\u{..}` instead.
 */
/** Whether a string holds any such character (manifest strings are refused for it). */
export function hasUnsafe(s: string): boolean {
  return s.search(UNSAFE) !== -1;
}

export function printable(s: string): string {
  return s.replace(UNSAFE, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}
