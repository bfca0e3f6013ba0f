// The commit a branch points at now, from GitHub's REST API (the job token's contents: read suffices).
import { call } from './http.js';
import { apiHeaders, repoUrl, type GitHubTarget } from './target.js';

/** GET /repos/{o}/{r}/git/ref/heads/{branch}: the tip sha, or null when the branch no longer exists (404). */
export async function getBranchTip(
  t: GitHubTarget,
  branch: string,
  opts: { signal?: AbortSignal } = {},
): Promise<string | null> {
  const ref = branch.split('/').map(encodeURIComponent).join('/');
  const res = await call(t, repoUrl(t, `/git/ref/heads/${ref}`), {
    headers: apiHeaders(t),
    accept: [404],
    signal: opts.signal,
  });
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  const body = (await res.json()) as { object?: { sha?: unknown } };
  const sha = body.object?.sha;
  return typeof sha === 'string' ? sha : null;
}
