// Re-run guard: a push (or scheduled) deploy goes ahead only while its commit is still the tip of its branch.
import { compareCommits, getBranchTip, withRetry, type Comparison } from '../core/release/index.js';
import type { ActionInputs, GitHubContext } from './inputs.js';

export type TipVerdict =
  | { kind: 'deploy' }
  /** Not deployed, and not a failure: a newer run owns production (notice). */
  | { kind: 'skip'; notice: string }
  /** Could not be checked without a token: deploy, and say so (notice). */
  | { kind: 'unchecked'; notice: string }
  /** The branch moved on, but nothing the bundle holds changed since: deploy, and say so (notice). */
  | { kind: 'newer-same-skills'; notice: string };

/**
 * Each run signs a fresh serial, so re-running the run of an older push would make that older commit live
 * again. Push and schedule runs are checked (a re-run keeps its old GITHUB_SHA); `workflow_dispatch` with a
 * ref is the deliberate way to deploy older content (docs/action.md). A check that fails (GitHub down, no permission) fails the run rather than risk
 * rolling production back.
 */
export async function checkStillTip(
  ctx: GitHubContext,
  inputs: ActionInputs,
  commit: string,
): Promise<TipVerdict> {
  const checked = ctx.eventName === 'push' || ctx.eventName === 'schedule';
  if (!checked || !ctx.ref.startsWith('refs/heads/')) return { kind: 'deploy' };
  const branch = ctx.ref.slice('refs/heads/'.length);
  if (!inputs.githubToken || !ctx.owner || !ctx.repo) {
    return {
      kind: 'unchecked',
      notice: `not checked that ${short(commit)} is still the tip of ${branch} (no github-token): a re-run of an older push would deploy older content`,
    };
  }
  const target = {
    apiUrl: ctx.apiUrl,
    owner: ctx.owner,
    repo: ctx.repo,
    token: inputs.githubToken,
    timeoutMs: inputs.timeoutMs,
  };
  const failed = (err: unknown) =>
    new Error(
      `could not check that ${short(commit)} is still the tip of ${branch}, so nothing was deployed: ${(err as Error).message}`,
    );
  let tip: string | null;
  try {
    tip = await withRetry({ attempts: 3 }, () => getBranchTip(target, branch));
  } catch (err) {
    throw failed(err);
  }
  if (tip === commit) return { kind: 'deploy' };
  if (tip) {
    const newer = tip;
    // A newer commit that changes nothing we pack (say README only, with no deploy run of its own because of
    // a `paths:` filter) makes this deploy the same as the tip's: going ahead rolls nothing back.
    let cmp: Comparison;
    try {
      cmp = await withRetry({ attempts: 3 }, () => compareCommits(target, commit, newer));
    } catch (err) {
      throw failed(err);
    }
    if (!touchesSkills(cmp, inputs.rootPrefix)) {
      return {
        kind: 'newer-same-skills',
        notice: `${branch} has moved on to ${tip}, but nothing under ${inputs.rootPrefix || '.'} changed since ${commit}: deploying`,
      };
    }
  }
  const why = tip ? `${branch} has moved on to ${tip}` : `${branch} no longer exists`;
  return {
    kind: 'skip',
    notice: `deploy skipped: this run is for ${commit}, but ${why}; a re-run of an older push must not roll production back. To deploy older content on purpose, run the workflow with workflow_dispatch and ref: ${commit}.`,
  };
}

/** Whether the newer commits may change the bundle: anything under the skills root, or the config file. */
function touchesSkills(cmp: Comparison, rootPrefix: string): boolean {
  if (cmp.status !== 'ahead' || !cmp.complete || !rootPrefix) return true;
  const under = `${rootPrefix.replace(/\/+$/, '')}/`;
  return cmp.files.some(
    (f) => f.startsWith(under) || f === '.skillsync.yml' || f.endsWith('/.skillsync.yml'),
  );
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
