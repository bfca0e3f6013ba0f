// Publish side: create the release (marked latest), upload bundle + envelope to the upload host, prune old ones.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { call, callJson, withRetry, type RetryPolicy } from './http.js';
import type { RawRelease } from './latest.js';
import { apiHeaders, GitHubError, repoUrl, type GitHubTarget } from './target.js';

export const BUNDLE_ASSET = 'skills.tar.gz';
export const ENVELOPE_ASSET = 'skills.dsse.json';
/** Releases whose tag starts with this are ours; pruning never touches any other release. */
export const DEFAULT_TAG_PREFIX = 'skill-sync-';

export interface PublishRequest {
  tag: string;
  name: string;
  body: string;
  commit: string;
  bundleFile: string;
  envelopeJson: string;
  /** How many skill-sync releases to keep, the new one included (at least 1). */
  keep: number;
  tagPrefix?: string;
  retry?: RetryPolicy;
}

export interface PublishResult {
  url: string;
  id: number;
  /** Tags of the releases deleted by pruning. */
  pruned: string[];
  /** Pruning is best-effort: the release is published even when an old one could not be deleted. */
  pruneErrors: string[];
}

export async function publishRelease(t: GitHubTarget, r: PublishRequest): Promise<PublishResult> {
  const prefix = r.tagPrefix ?? DEFAULT_TAG_PREFIX;
  const retry = r.retry ?? {};
  const release = await withRetry(retry, () => createOrReuse(t, r));
  const existing = new Map((release.assets ?? []).map((a) => [a.name, a.id]));
  const { size } = await stat(r.bundleFile);
  const envelope = Buffer.from(r.envelopeJson, 'utf8');
  await withRetry(retry, () =>
    upload(
      t,
      release,
      BUNDLE_ASSET,
      'application/gzip',
      size,
      () => Readable.toWeb(createReadStream(r.bundleFile)) as ReadableStream,
      existing,
    ),
  );
  await withRetry(retry, () =>
    upload(t, release, ENVELOPE_ASSET, 'application/json', envelope.length, () => envelope, existing),
  );
  const { pruned, errors } = await prune(t, release.id, prefix, Math.max(1, r.keep), retry);
  return { url: release.html_url, id: release.id, pruned, pruneErrors: errors };
}

/**
 * POST /releases is not idempotent: when a retry follows a create whose answer was lost, GitHub says 422
 * (tag already has a release). Then the release of that tag is ours to finish.
 */
async function createOrReuse(t: GitHubTarget, r: PublishRequest): Promise<RawRelease> {
  const res = await call(t, repoUrl(t, '/releases'), {
    method: 'POST',
    headers: apiHeaders(t, { 'content-type': 'application/json' }),
    body: JSON.stringify({
      tag_name: r.tag,
      target_commitish: r.commit,
      name: r.name,
      body: r.body,
      draft: false,
      prerelease: false,
      make_latest: 'true',
    }),
    accept: [422],
  });
  if (res.status !== 422) return (await res.json()) as RawRelease;
  const text = await res.text();
  if (!/already_exists/.test(text)) {
    throw new GitHubError('github_http_422', `POST /releases → HTTP 422: ${text.slice(0, 200)}`, 422);
  }
  return callJson<RawRelease>(t, repoUrl(t, `/releases/tags/${encodeURIComponent(r.tag)}`), {
    headers: apiHeaders(t),
  });
}

/** Uploads go to the host in `upload_url` (uploads.github.com), with an exact Content-Length. */
async function upload(
  t: GitHubTarget,
  release: RawRelease,
  name: string,
  contentType: string,
  size: number,
  body: () => NonNullable<RequestInit['body']>,
  existing: Map<string, number>,
): Promise<void> {
  // A half-finished earlier attempt leaves an asset with this name, and GitHub refuses duplicates.
  const stale = existing.get(name);
  if (stale !== undefined) {
    await call(t, repoUrl(t, `/releases/assets/${stale}`), {
      method: 'DELETE',
      headers: apiHeaders(t),
      accept: [404],
    });
    existing.delete(name);
  }
  const url = new URL(release.upload_url.replace(/\{[^}]*\}$/, ''));
  url.searchParams.set('name', name);
  const res = await call(t, url.toString(), {
    method: 'POST',
    headers: apiHeaders(t, { 'content-type': contentType, 'content-length': String(size) }),
    body: body(),
  });
  await res.body?.cancel();
}

async function listOurs(t: GitHubTarget, prefix: string): Promise<RawRelease[]> {
  const out: RawRelease[] = [];
  let url: string | undefined = repoUrl(t, '/releases?per_page=100');
  // Ten pages of 100 is far beyond any sane `keep`; the bound stops a misbehaving server from looping us.
  for (let page = 0; url && page < 10; page++) {
    const res = await call(t, url, { headers: apiHeaders(t) });
    out.push(...((await res.json()) as RawRelease[]).filter((r) => r.tag_name.startsWith(prefix)));
    url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return out;
}

async function prune(
  t: GitHubTarget,
  newId: number,
  prefix: string,
  keep: number,
  retry: RetryPolicy,
): Promise<{ pruned: string[]; errors: string[] }> {
  const pruned: string[] = [];
  const errors: string[] = [];
  let ours: RawRelease[];
  try {
    ours = await withRetry(retry, () => listOurs(t, prefix));
  } catch (err) {
    return { pruned, errors: [(err as Error).message] };
  }
  // Newest first; the release just created always stays, whatever the clocks say.
  ours.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id);
  const kept = new Set([
    newId,
    ...ours
      .filter((r) => r.id !== newId)
      .slice(0, keep - 1)
      .map((r) => r.id),
  ]);
  for (const old of ours.filter((r) => !kept.has(r.id))) {
    try {
      await withRetry(retry, () =>
        call(t, repoUrl(t, `/releases/${old.id}`), {
          method: 'DELETE',
          headers: apiHeaders(t),
          accept: [404],
        }),
      );
      // Deleting a release leaves its tag; GitHub answers 422 when the ref is already gone.
      await withRetry(retry, () =>
        call(t, repoUrl(t, `/git/refs/tags/${encodeURIComponent(old.tag_name)}`), {
          method: 'DELETE',
          headers: apiHeaders(t),
          accept: [404, 422],
        }),
      );
      pruned.push(old.tag_name);
    } catch (err) {
      errors.push(`${old.tag_name}: ${(err as Error).message}`);
    }
  }
  return { pruned, errors };
}
