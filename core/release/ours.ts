// Which releases are skill-sync's: found by tag prefix and ordered by the serial in the tag, never by "Latest".
import { armDeadline, call, readBody } from './http.js';
import { toReleaseInfo, type LatestRelease, type RawRelease } from './latest.js';
import { parseRateLimit, type RateInfo } from './rate-limit.js';
import { apiHeaders, GitHubError, repoUrl, type GitHubTarget } from './target.js';

/** Releases whose tag is this prefix and a serial are ours; pruning and polling never touch any other. */
export const DEFAULT_TAG_PREFIX = 'skill-sync-';

/** Ten pages of 100 is far beyond any sane `release-keep`; the bound stops a misbehaving server looping us. */
const MAX_PAGES = 10;

/**
 * A page of 100 releases whose bodies are all at GitHub's 125,000-character limit still fits; more is not
 * GitHub, and reading it whole would cost the receiver its memory (docs/security.md).
 */
export const MAX_RELEASE_PAGE_BYTES = 16 * 1024 * 1024;

/** The serial in `skill-sync-<serial>`, or null when the tag is not one of ours. */
export function serialOfTag(tag: string, prefix = DEFAULT_TAG_PREFIX): number | null {
  if (!tag.startsWith(prefix)) return null;
  const rest = tag.slice(prefix.length);
  if (!/^[1-9][0-9]{0,15}$/.test(rest)) return null;
  const n = Number(rest);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Ours, highest serial first. GitHub lists releases by `created_at`, which it documents as the date of the
 * release's commit, so a re-deploy of an older commit sorts low there: only the serial tells which is newest.
 */
export function oursBySerial(releases: RawRelease[], prefix = DEFAULT_TAG_PREFIX): RawRelease[] {
  const withSerial = releases
    .map((r) => ({ r, serial: serialOfTag(r.tag_name, prefix) }))
    .filter((x): x is { r: RawRelease; serial: number } => x.serial !== null);
  return withSerial.sort((a, b) => b.serial - a.serial || b.r.id - a.r.id).map((x) => x.r);
}

/** The release a poller should look at: our published, non-prerelease release with the highest serial. */
export function newestPublished(releases: RawRelease[], prefix = DEFAULT_TAG_PREFIX): RawRelease | undefined {
  return oursBySerial(releases, prefix).find((r) => !r.draft && !r.prerelease);
}

export type ReleaseList =
  | { status: 'not_modified'; rate: RateInfo }
  | { status: 'ok'; releases: RawRelease[]; etag?: string; rate: RateInfo };

/**
 * GET /releases, every page (bounded). With `etag`, the first page is asked with If-None-Match: a 304 costs no
 * rate limit and is taken as "nothing new" (exact while the repository has at most 100 releases; see
 * docs/decisions.md for the limit beyond that).
 */
export async function listReleases(
  t: GitHubTarget,
  opts: { etag?: string; signal?: AbortSignal; deadlineMs?: number; maxBytes?: number } = {},
): Promise<ReleaseList> {
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  const disarm = opts.deadlineMs ? armDeadline(ctl, opts.deadlineMs, 'GET releases') : () => {};
  try {
    return await listWithin(t, opts.etag, signal, opts.maxBytes ?? MAX_RELEASE_PAGE_BYTES);
  } finally {
    disarm();
  }
}

async function listWithin(
  t: GitHubTarget,
  etag0: string | undefined,
  signal: AbortSignal,
  maxBytes: number,
): Promise<ReleaseList> {
  const out: RawRelease[] = [];
  let url: string | undefined = repoUrl(t, '/releases?per_page=100');
  let etag: string | undefined;
  let rate: RateInfo = {};
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const conditional: Record<string, string> = page === 0 && etag0 ? { 'if-none-match': etag0 } : {};
    const res = await call(t, url, {
      headers: apiHeaders(t, conditional),
      accept: page === 0 ? [304] : [],
      signal,
    });
    rate = parseRateLimit(res.headers);
    if (res.status === 304) {
      await res.body?.cancel();
      return { status: 'not_modified', rate };
    }
    if (page === 0) etag = res.headers.get('etag') ?? undefined;
    const text = await readBody(res, maxBytes, 'GET releases', { overflow: 'throw', signal });
    let releases: unknown;
    try {
      releases = JSON.parse(text.toString('utf8'));
    } catch {
      throw new GitHubError('github_bad_json', 'GET releases: the answer is not JSON', res.status);
    }
    if (!Array.isArray(releases))
      throw new GitHubError('github_bad_json', 'GET releases: the answer is not a list', res.status);
    out.push(...(releases as RawRelease[]));
    url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return etag ? { status: 'ok', releases: out, etag, rate } : { status: 'ok', releases: out, rate };
}

/**
 * The poll side's "latest": our newest release by serial, whatever the repository marks as Latest (a human
 * release may be Latest, and skill-sync never takes that mark).
 */
export async function getLatestOurs(
  t: GitHubTarget,
  etag?: string,
  opts: { signal?: AbortSignal; prefix?: string; deadlineMs?: number; maxBytes?: number } = {},
): Promise<LatestRelease> {
  const { prefix, ...listing } = opts;
  const list = await listReleases(t, { etag, ...listing });
  if (list.status === 'not_modified') return list;
  const newest = newestPublished(list.releases, prefix);
  if (!newest) return { status: 'none', rate: list.rate };
  const release = toReleaseInfo(newest);
  return list.etag
    ? { status: 'ok', etag: list.etag, release, rate: list.rate }
    : { status: 'ok', release, rate: list.rate };
}
