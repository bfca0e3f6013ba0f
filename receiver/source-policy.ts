// Source policy: which repositories and refs may deploy here, and how far ahead of our clock a serial may be.
import { refMatches } from '../core/envelope/oidc-verify.js';
import type { ReleasePayload } from '../core/payload.js';
import type { ReceiverConfig } from './config.js';
import { Refusal } from './refusal.js';

/**
 * A valid signature proves the key signed it, not that it came from the repository and branch this receiver
 * serves: a key shared by two repositories, or a workflow run on another branch, must not deploy here.
 */
export function checkSource(
  payload: ReleasePayload,
  cfg: Pick<ReceiverConfig, 'allowedRepositories' | 'allowedRefs'>,
): void {
  const repos = cfg.allowedRepositories;
  // GitHub treats owner/repo case-insensitively; refs are case-sensitive, matched as the OIDC pins are
  // (`refs/tags/v*` is a prefix). `*` is an explicit "any".
  const anyRepo = !repos || repos.includes('*');
  if (!anyRepo && !repos.some((r) => r.toLowerCase() === payload.repository.toLowerCase()))
    throw new Refusal(
      'repository-not-allowed',
      `repository ${JSON.stringify(payload.repository)} is not in SKILL_SYNC_ALLOWED_REPOSITORIES`,
    );
  if (!cfg.allowedRefs.some((r) => r === '*' || refMatches(payload.ref, r)))
    throw new Refusal(
      'ref-not-allowed',
      `ref ${JSON.stringify(payload.ref)} is not in SKILL_SYNC_ALLOWED_REFS (${cfg.allowedRefs.join(', ')})`,
    );
}

/**
 * The serial is the signer's clock. One signed far in the future would outrank every later release for good
 * (replay protection never lowers the highest serial), so it is refused before it can be recorded.
 */
export function checkNotFuture(payload: ReleasePayload, maxSkewMs: number, now = Date.now()): void {
  const signedAt = Math.max(payload.serial, Date.parse(payload.createdAt) || 0);
  if (signedAt > now + maxSkewMs)
    throw new Refusal(
      'future-serial',
      `serial ${payload.serial} is ${Math.round((signedAt - now) / 1000)} s ahead of the receiver's clock ` +
        `(SKILL_SYNC_MAX_CLOCK_SKEW allows ${Math.round(maxSkewMs / 1000)} s); check the signer's clock`,
    );
}
