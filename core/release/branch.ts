// Where a branch points now, and what changed between two commits, from GitHub's REST API (contents: read).
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

/** What changed from `base` to `head`, as GitHub's compare answers it. */
export interface Comparison {
  /** `ahead` (head descends from base), `behind`, `identical` or `diverged`. */
  status: string;
  /** Changed paths, repository-relative. */
  files: string[];
  /** False when GitHub cut the file list short (it lists at most 300 files per comparison). */
  complete: boolean;
}

const COMPARE_FILE_LIMIT = 300;

/** GET /repos/{o}/{r}/compare/{base}...{head} (no paging parameters, so the file list is included). */
export async function compareCommits(
  t: GitHubTarget,
  base: string,
  head: string,
  opts: { signal?: AbortSignal } = {},
): Promise<Comparison> {
  const res = await call(
    t,
    repoUrl(t, `/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}`),
    { headers: apiHeaders(t), signal: opts.signal },
  );
  const body = (await res.json()) as { status?: unknown; files?: { filename?: unknown }[] };
  const files = (body.files ?? []).map((f) => (typeof f.filename === 'string' ? f.filename : ''));
  return {
    status: typeof body.status === 'string' ? body.status : 'unknown',
    files,
    complete: files.length < COMPARE_FILE_LIMIT,
  };
}
