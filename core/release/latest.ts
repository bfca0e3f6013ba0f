// Poll side: a release as the poller reads it, from GitHub's JSON (which one is ours: ours.ts).
import type { RateInfo } from './rate-limit.js';

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

export type LatestRelease =
  | { status: 'not_modified'; rate: RateInfo }
  | { status: 'none'; rate: RateInfo }
  | { status: 'ok'; etag?: string; release: ReleaseInfo; rate: RateInfo };
