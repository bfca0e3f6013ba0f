// Publish side: create the release as a draft, upload bundle + envelope, publish it, prune old ones by serial.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { call, callJson, githubMessage, withRetry, type RetryPolicy } from './http.js';
import type { RawRelease } from './latest.js';
import { DEFAULT_TAG_PREFIX, listReleases, oursBySerial, serialOfTag } from './ours.js';
import { apiHeaders, GitHubError, repoUrl, type GitHubTarget } from './target.js';

export { DEFAULT_TAG_PREFIX };
export const BUNDLE_ASSET = 'skills.tar.gz';
export const ENVELOPE_ASSET = 'skills.dsse.json';

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

/** GitHub's answer to a job token without the permission a write needs. */
const NOT_ACCESSIBLE = /Resource not accessible by integration/i;

export async function publishRelease(t: GitHubTarget, r: PublishRequest): Promise<PublishResult> {
  try {
    return await publishSteps(t, r);
  } catch (err) {
    if (err instanceof GitHubError && err.status === 403 && NOT_ACCESSIBLE.test(err.message)) {
      throw new GitHubError(
        err.code,
        `${err.message} — the workflow's token may not write releases: add \`permissions: contents: write\` to the job`,
        err.status,
      );
    }
    throw err;
  }
}

/**
 * Draft → upload → publish: with immutable releases on, a published release takes no more assets, and a
 * draft is invisible to pollers and has no tag, so nobody sees a release without its assets.
 */
async function publishSteps(t: GitHubTarget, r: PublishRequest): Promise<PublishResult> {
  const prefix = r.tagPrefix ?? DEFAULT_TAG_PREFIX;
  const retry = r.retry ?? {};
  let release = await withRetry(retry, () => createOrReuse(t, r));
  const existing = new Map((release.assets ?? []).map((a) => [a.name, a.id]));
  const { size } = await stat(r.bundleFile);
  const envelope = Buffer.from(r.envelopeJson, 'utf8');
  try {
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
    if (release.draft) release = await withRetry(retry, () => publish(t, release.id));
  } catch (err) {
    // A draft of ours that cannot be finished is removed, so a failed run leaves nothing behind.
    if (release.draft) await deleteDraft(t, release.id).catch(() => undefined);
    throw err;
  }
  const { pruned, errors } = await prune(t, release, prefix, Math.max(1, r.keep), retry);
  return { url: release.html_url, id: release.id, pruned, pruneErrors: errors };
}

/**
 * POST /releases (as a draft) is not idempotent: when a retry follows a create whose answer was lost, GitHub
 * says 422 (tag already has a release). Then the release of that tag, draft or not, is ours to finish.
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
      draft: true,
      prerelease: false,
      // The repository's "Latest" mark belongs to its own releases; pollers find ours by tag prefix.
      make_latest: 'false',
    }),
    accept: [422],
  });
  if (res.status !== 422) return (await res.json()) as RawRelease;
  const text = await res.text();
  if (!/"already_exists"/.test(text)) {
    throw new GitHubError('github_http_422', `POST /releases → HTTP 422: ${githubMessage(text)}`, 422);
  }
  // Drafts have no tag yet, so GET /releases/tags/{tag} cannot find them: look through the list.
  const list = await listReleases(t);
  const found = list.status === 'ok' ? list.releases.find((x) => x.tag_name === r.tag) : undefined;
  if (!found)
    throw new GitHubError('github_http_422', `POST /releases → HTTP 422: ${githubMessage(text)}`, 422);
  return found;
}

/** PATCH draft: false publishes (GitHub creates the tag then), still without taking the "Latest" mark. */
function publish(t: GitHubTarget, id: number): Promise<RawRelease> {
  return callJson<RawRelease>(t, repoUrl(t, `/releases/${id}`), {
    method: 'PATCH',
    headers: apiHeaders(t, { 'content-type': 'application/json' }),
    body: JSON.stringify({ draft: false, make_latest: 'false' }),
  });
}

/** Deletes the release only while it is still a draft: a publish whose answer was lost may have gone through. */
async function deleteDraft(t: GitHubTarget, id: number): Promise<void> {
  const now = await callJson<RawRelease>(t, repoUrl(t, `/releases/${id}`), { headers: apiHeaders(t) });
  if (now.draft) await deleteRelease(t, id);
}

async function deleteRelease(t: GitHubTarget, id: number): Promise<void> {
  const res = await call(t, repoUrl(t, `/releases/${id}`), {
    method: 'DELETE',
    headers: apiHeaders(t),
    accept: [404],
  });
  await res.body?.cancel();
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
    await deleteAsset(t, stale);
    existing.delete(name);
  }
  const url = new URL(release.upload_url.replace(/\{[^}]*\}$/, ''));
  url.searchParams.set('name', name);
  const post = () =>
    call(t, url.toString(), {
      method: 'POST',
      headers: apiHeaders(t, { 'content-type': contentType, 'content-length': String(size) }),
      body: body(),
      accept: [422],
    });
  let res = await post();
  if (res.status === 422 && /"already_exists"/.test(await res.clone().text())) {
    // After a 502, GitHub can keep a `starter` asset of that name: re-list, delete it, upload again.
    await res.body?.cancel();
    const assets = await callJson<{ id: number; name: string }[]>(
      t,
      repoUrl(t, `/releases/${release.id}/assets?per_page=100`),
      { headers: apiHeaders(t) },
    );
    for (const a of assets.filter((x) => x.name === name)) await deleteAsset(t, a.id);
    res = await post();
  }
  if (res.status === 422) {
    throw new GitHubError(
      'github_http_422',
      `POST ${url.pathname}?name=${name} → HTTP 422: ${githubMessage(await res.text())}`,
      422,
    );
  }
  await res.body?.cancel();
}

async function deleteAsset(t: GitHubTarget, id: number): Promise<void> {
  const res = await call(t, repoUrl(t, `/releases/assets/${id}`), {
    method: 'DELETE',
    headers: apiHeaders(t),
    accept: [404],
  });
  await res.body?.cancel();
}

/**
 * Keeps the `keep` published releases of ours with the highest serials (the new one always), and deletes the
 * rest with their tags; drafts of ours with a lower serial are leftovers of failed runs and go too.
 */
async function prune(
  t: GitHubTarget,
  current: RawRelease,
  prefix: string,
  keep: number,
  retry: RetryPolicy,
): Promise<{ pruned: string[]; errors: string[] }> {
  const pruned: string[] = [];
  const errors: string[] = [];
  let ours: RawRelease[];
  try {
    const list = await withRetry(retry, () => listReleases(t));
    ours = list.status === 'ok' ? oursBySerial(list.releases, prefix) : [];
  } catch (err) {
    return { pruned, errors: [(err as Error).message] };
  }
  const mine = serialOfTag(current.tag_name, prefix) ?? Infinity;
  const published = ours.filter((r) => !r.draft && r.id !== current.id);
  const kept = new Set([current.id, ...published.slice(0, keep - 1).map((r) => r.id)]);
  const doomed = ours.filter(
    (r) => !kept.has(r.id) && (!r.draft || (serialOfTag(r.tag_name, prefix) ?? Infinity) < mine),
  );
  for (const old of doomed) {
    try {
      await withRetry(retry, () => deleteRelease(t, old.id));
      // Deleting a release leaves its tag; GitHub answers 422 when the ref is already gone (or a draft's never was).
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
