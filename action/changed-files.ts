// A pull request's changed files (REST `pulls/{n}/files` with the job token), so their findings are annotated first.
import { call } from '../core/release/http.js';
import { apiHeaders, repoUrl, type GitHubTarget } from '../core/release/target.js';

/** GitHub lists at most 3000 files for a pull request, 100 per page (docs.github.com/rest/pulls/pulls). */
const PER_PAGE = 100;
const MAX_PAGES = 30;

/**
 * Paths (relative to the repository) that the pull request adds, changes or renames to. Throws on any failure;
 * the caller goes on without the ordering.
 */
export async function pullRequestFiles(t: GitHubTarget, pullNumber: number): Promise<Set<string>> {
  const files = new Set<string>();
  let url: string | undefined = repoUrl(t, `/pulls/${pullNumber}/files?per_page=${PER_PAGE}`);
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await call(t, url, { headers: apiHeaders(t) });
    const list = (await res.json()) as { filename?: unknown; status?: unknown }[];
    if (!Array.isArray(list)) break;
    for (const f of list) {
      if (f.status === 'removed') continue;
      if (typeof f.filename === 'string') files.add(f.filename);
    }
    url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return files;
}
