// Poll side: the repository's latest release (drafts and prereleases excluded by GitHub), with ETag revalidation.
import { armDeadline, call, readBody } from './http.js';
import { parseRateLimit, type RateInfo } from './rate-limit.js';
import { apiHeaders, GitHubError, repoUrl, type GitHubTarget } from './target.js';

export interface ReleaseAsset {
  id: number;
  name: string;
  size: number;
  contentType?: string;
  url: string;
}

export interface ReleaseInfo {
  id: number;
  tag: string;
  name: string;
  draft: boolean;
  prerelease: boolean;
  createdAt?: string;
  publishedAt?: string;
  htmlUrl: string;
  assets: ReleaseAsset[];
}

/** The subset of GitHub's release JSON we read. */
export interface RawRelease {
  id: number;
  tag_name: string;
  name: string | null;
  draft: boolean;
  prerelease: boolean;
  created_at?: string;
  published_at?: string | null;
  html_url: string;
  upload_url: string;
  assets?: { id: number; name: string; size: number; content_type?: string; url: string }[];
}

export function toReleaseInfo(r: RawRelease): ReleaseInfo {
  const info: ReleaseInfo = {
    id: r.id,
    tag: r.tag_name,
    name: r.name ?? r.tag_name,
    draft: r.draft,
    prerelease: r.prerelease,
    htmlUrl: r.html_url,
    assets: (r.assets ?? []).map((a) => {
      const asset: ReleaseAsset = { id: a.id, name: a.name, size: a.size, url: a.url };
      if (a.content_type) asset.contentType = a.content_type;
      return asset;
    }),
  };
  if (r.created_at) info.createdAt = r.created_at;
  if (r.published_at) info.publishedAt = r.published_at;
  return info;
}

/**
 * A release's JSON is a few KiB per asset; anything near this cap is not a release we published
 * (docs/security.md), and reading it whole would cost the receiver its memory.
 */
export const MAX_RELEASE_JSON_BYTES = 1024 * 1024;

export type LatestRelease =
  | { status: 'not_modified'; rate: RateInfo }
  | { status: 'none'; rate: RateInfo }
  | { status: 'ok'; etag?: string; release: ReleaseInfo; rate: RateInfo };

/**
 * GET /repos/{o}/{r}/releases/latest with If-None-Match. A 304 costs no rate limit; a 404 means the repo has
 * no published full release yet (`none`). Throws RateLimited or GitHubError otherwise.
 */
export async function getLatestRelease(
  t: GitHubTarget,
  etag?: string,
  opts: { signal?: AbortSignal; deadlineMs?: number; maxBytes?: number } = {},
): Promise<LatestRelease> {
  const headers = apiHeaders(t, etag ? { 'if-none-match': etag } : {});
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  const disarm = opts.deadlineMs ? armDeadline(ctl, opts.deadlineMs, 'GET releases/latest') : () => {};
  try {
    return await latestWithin(t, headers, signal, opts.maxBytes ?? MAX_RELEASE_JSON_BYTES);
  } finally {
    disarm();
  }
}

async function latestWithin(
  t: GitHubTarget,
  headers: Record<string, string>,
  signal: AbortSignal,
  maxBytes: number,
): Promise<LatestRelease> {
  const res = await call(t, repoUrl(t, '/releases/latest'), { headers, accept: [304, 404], signal });
  const rate = parseRateLimit(res.headers);
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 'not_modified', rate };
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return { status: 'none', rate };
  }
  const text = await readBody(res, maxBytes, 'GET releases/latest', { overflow: 'throw', signal });
  let raw: RawRelease;
  try {
    raw = JSON.parse(text.toString('utf8')) as RawRelease;
  } catch {
    throw new GitHubError('github_bad_json', 'GET releases/latest: the answer is not JSON', res.status);
  }
  const release = toReleaseInfo(raw);
  const newEtag = res.headers.get('etag') ?? undefined;
  return newEtag ? { status: 'ok', etag: newEtag, release, rate } : { status: 'ok', release, rate };
}
