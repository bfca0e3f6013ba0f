// Keyless verification settings: SKILL_SYNC_OIDC_* parsed into the policy core/envelope/oidc-verify.ts enforces.
import { GITHUB_OIDC_ISSUER } from '../core/envelope/oidc.js';
import { checkIssuerUrl } from '../core/envelope/oidc-issuer.js';
import type { OidcPolicy } from '../core/envelope/oidc-verify.js';
import { ConfigError, list, str as get, type Env } from './env.js';

const OPTIONAL = [
  'SKILL_SYNC_OIDC_REPOSITORY_ID',
  'SKILL_SYNC_OIDC_REFS',
  'SKILL_SYNC_OIDC_WORKFLOWS',
  'SKILL_SYNC_OIDC_ENVIRONMENT',
  'SKILL_SYNC_OIDC_ISSUER',
];

/** undefined when keyless verification is off; a pin without SKILL_SYNC_OIDC_REPOSITORY is a mistake, not ignored. */
export function loadOidcPolicy(env: Env): OidcPolicy | undefined {
  const repository = get(env, 'SKILL_SYNC_OIDC_REPOSITORY');
  if (!repository) {
    const stray = OPTIONAL.find((n) => get(env, n) !== undefined);
    if (stray)
      throw new ConfigError(
        'SKILL_SYNC_OIDC_REPOSITORY',
        `is required for keyless verification (${stray} is set)`,
      );
    return undefined;
  }
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    throw new ConfigError('SKILL_SYNC_OIDC_REPOSITORY', `expected owner/repo, got '${repository}'`);
  const repositoryId = get(env, 'SKILL_SYNC_OIDC_REPOSITORY_ID');
  if (repositoryId !== undefined && !/^\d+$/.test(repositoryId))
    throw new ConfigError(
      'SKILL_SYNC_OIDC_REPOSITORY_ID',
      `expected the numeric repository id, got '${repositoryId}'`,
    );
  const refs = list(env, 'SKILL_SYNC_OIDC_REFS') ?? ['refs/heads/main'];
  const badRef = refs.find((r) => !r.startsWith('refs/'));
  if (refs.length === 0 || badRef !== undefined)
    throw new ConfigError(
      'SKILL_SYNC_OIDC_REFS',
      `expected full refs such as refs/heads/main, got '${badRef ?? ''}'`,
    );
  const workflows = list(env, 'SKILL_SYNC_OIDC_WORKFLOWS') ?? [];
  const badWorkflow = workflows.find((w) => w.includes('@') || !/\.ya?ml$/.test(w));
  if (badWorkflow !== undefined)
    throw new ConfigError(
      'SKILL_SYNC_OIDC_WORKFLOWS',
      `expected workflow file paths such as .github/workflows/deploy.yml (no @ref), got '${badWorkflow}'`,
    );
  const issuer = get(env, 'SKILL_SYNC_OIDC_ISSUER') ?? GITHUB_OIDC_ISSUER;
  try {
    checkIssuerUrl(issuer, 'the issuer');
  } catch (err) {
    throw new ConfigError('SKILL_SYNC_OIDC_ISSUER', (err as Error).message);
  }
  return {
    issuer,
    repository,
    repositoryId,
    refs,
    workflows,
    environment: get(env, 'SKILL_SYNC_OIDC_ENVIRONMENT'),
  };
}
