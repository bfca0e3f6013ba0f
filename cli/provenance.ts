// What a CLI-signed release says it is: repository, ref and commit, from flags, then GitHub's env, then git.
import { execFileSync } from 'node:child_process';

function git(dir: string, args: string[]): string | undefined {
  try {
    const out = execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

function repoFromRemote(url: string | undefined): string | undefined {
  return url?.match(/github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?$/)?.[1];
}

/**
 * Receivers allow releases by repository and ref (SKILL_SYNC_ALLOWED_*, docs/receiver.md), so an empty ref
 * would be refused everywhere: the checkout's branch names it when no flag or GITHUB_REF does.
 */
export function provenance(
  dir: string,
  given: { repository?: string; ref?: string; commit?: string },
): { repository: string; ref: string; commit: string } {
  const env = process.env;
  return {
    repository:
      given.repository ??
      env.GITHUB_REPOSITORY ??
      repoFromRemote(git(dir, ['config', '--get', 'remote.origin.url'])) ??
      'unknown',
    ref: given.ref ?? env.GITHUB_REF ?? git(dir, ['symbolic-ref', '-q', 'HEAD']) ?? 'unknown',
    commit: given.commit ?? env.GITHUB_SHA ?? git(dir, ['rev-parse', 'HEAD']) ?? 'unknown',
  };
}
