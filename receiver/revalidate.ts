// Re-validation: the Action's own rules on a bundle just unpacked, and the manifest held to what they found.
import path from 'node:path';
import { checkRepo } from '../core/check.js';
import type { BundleManifest } from '../core/bundle-manifest.js';
import { protectedPaths } from '../core/sync/confine.js';
import type { ReceiverConfig } from './config.js';
import { Refusal } from './refusal.js';

/**
 * Throws a Refusal when the unpacked skills break a rule. Reads staging from disk through the receiver's
 * worker-backed reader (docs/decisions.md, "The quieter re-run": a copy held in memory did not pay).
 */
export async function revalidate(
  cfg: Pick<ReceiverConfig, 'profile' | 'maxFileSize' | 'syncDataRoot' | 'dataDir' | 'skillsDir'>,
  staging: string,
  manifest: BundleManifest,
): Promise<void> {
  const result = await checkRepo(path.join(staging, 'skills'), {
    profile: cfg.profile,
    maxFileSize: cfg.maxFileSize,
    dataRoot: cfg.syncDataRoot,
    protectedPaths: protectedPaths(cfg.syncDataRoot, [path.join(cfg.dataDir, 'skill-sync'), cfg.skillsDir]),
  });
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const head = errors
      .slice(0, 3)
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`)
      .join('; ');
    throw new Refusal('invalid-skills', `${errors.length} validation error(s): ${head}`);
  }
  const checked = new Map(result.skills.map((s) => [s.name, s]));
  // The version is what the frontmatter says (or the fingerprint): a manifest may not claim another.
  const lies = manifest.skills.filter((s) => {
    const c = checked.get(s.name);
    return c?.fingerprint !== s.fingerprint || c.version !== s.version;
  });
  if (lies.length > 0 || checked.size !== manifest.skills.length)
    throw new Refusal(
      'manifest-mismatch',
      `manifest does not match the unpacked skills${lies[0] ? ` (first: ${lies[0].name})` : ''}`,
    );
}
