// Keyless signing in the Action: the `signing` input, and the job's OIDC ID token for one exact payload.
import * as core from '@actions/core';
import type { IdTokenSource } from '../core/envelope/oidc.js';

export type Signing = 'key' | 'oidc';

/** Default: `oidc` when no signing-key is given and the job may request an ID token, else `key`. */
export function resolveSigning(
  input: string,
  signingKey: string,
  env: NodeJS.ProcessEnv = process.env,
): Signing {
  const v = input.trim();
  if (v === '') return !signingKey.trim() && env.ACTIONS_ID_TOKEN_REQUEST_URL ? 'oidc' : 'key';
  if (v !== 'key' && v !== 'oidc')
    throw new Error(`input/bad-value: 'signing' must be one of key, oidc, got '${v}'`);
  return v;
}

/**
 * The ID-token source for `signing: oidc`, after the checks a user can act on: the job may request a
 * token, and the payload names the job's own ref and commit (the token carries those, and the
 * receiver refuses a payload that differs).
 */
export function keylessSigner(
  source: { ref: string; commit: string },
  job: { ref: string; sha: string },
  env: NodeJS.ProcessEnv = process.env,
): IdTokenSource {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    throw new Error(
      'input/missing: signing: oidc needs an ID token and this job cannot request one: add `permissions: id-token: write` (next to `contents: write`) to the workflow or job',
    );
  if (source.ref !== job.ref || source.commit !== job.sha)
    throw new Error(
      `input/bad-value: signing: oidc deploys the commit the workflow runs on (${job.ref} ${job.sha.slice(0, 12)}), not ${source.ref} ${source.commit.slice(0, 12)}: run the workflow on that ref, or use signing: key`,
    );
  return async (audience) => {
    try {
      return await core.getIDToken(audience);
    } catch (err) {
      throw new Error(`signing: oidc: the ID token request failed: ${(err as Error).message}`);
    }
  };
}
