// Release serials: milliseconds since epoch at signing, strictly increasing even within one millisecond.

export function nextSerial(previous?: number): number {
  const now = Date.now();
  return previous !== undefined && previous >= now ? previous + 1 : now;
}
