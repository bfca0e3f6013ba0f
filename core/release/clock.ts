// The signer's clock against GitHub's: a serial is a signing time, so a runner clock far off signs bad serials.
import { call } from './http.js';
import { apiBase, apiHeaders, type GitHubTarget } from './target.js';

/** The receiver's SKILL_SYNC_MAX_CLOCK_SKEW default too, so signer and receiver agree (docs/security.md). */
export const MAX_SIGNER_SKEW_MS = 5 * 60_000;

/**
 * Milliseconds this machine's clock is ahead of GitHub's (negative: behind), from the `Date` header of
 * `GET /rate_limit`, which does not count against the rate limit. Undefined when GitHub gives no usable
 * answer: the release step reports that on its own, and the receiver checks serials against its clock anyway.
 */
export async function clockSkewFromGitHub(t: GitHubTarget): Promise<number | undefined> {
  const sent = Date.now();
  try {
    const res = await call(t, `${apiBase(t)}/rate_limit`, {
      headers: apiHeaders(t),
      accept: [401, 403, 404, 429],
    });
    await res.body?.cancel();
    const date = Date.parse(res.headers.get('date') ?? '');
    if (Number.isNaN(date)) return undefined;
    // The header has whole seconds and was stamped while the request was in flight: compare with the midpoint.
    const local = (sent + Date.now()) / 2;
    return Math.round(local - date);
  } catch {
    return undefined;
  }
}

/** A refusal message when the skew is over the cap, else undefined. */
export function signerClockProblem(
  skewMs: number | undefined,
  maxMs = MAX_SIGNER_SKEW_MS,
): string | undefined {
  if (skewMs === undefined || Math.abs(skewMs) <= maxMs) return undefined;
  const s = Math.round(Math.abs(skewMs) / 1000);
  return (
    `this machine's clock is ${s} s ${skewMs > 0 ? 'ahead of' : 'behind'} GitHub's (its Date header): ` +
    `the release serial is the signing time, so nothing was signed; fix the clock (NTP) and run again`
  );
}
