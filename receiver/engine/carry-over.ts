// Carry-over: skills a bundle retains (skipped by on-invalid: skip) keep their live files in the new release.
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, compareBytes } from '../../core/bundle/manifest-json.js';
import { sha256File } from '../../core/digest.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { syncTree } from '../io/syncfs.js';
import { MANIFEST_FILE, type BundleManifest, type ManifestSkill } from '../../core/bundle-manifest.js';
import { skillFolder } from './tree.js';
import { EngineError } from './types.js';

export interface LiveRelease {
  /** The live release's `skills/` folder (the kept release, never the live path the gateway reads). */
  skillsDir: string;
  manifest: BundleManifest;
}

/**
 * Copies each retained skill that is live from the live release into `stagingDir/skills/`, checks every
 * copied file against the live manifest's sha256 and size, and rewrites the staged manifest to list them,
 * so the new release is again one complete deployment (docs/action.md "on-invalid: skip"). A retained skill
 * that is not live has nothing to keep. Returns the manifest the release now has.
 */
export async function carryOver(
  stagingDir: string,
  manifest: BundleManifest,
  live: LiveRelease | null,
): Promise<{ manifest: BundleManifest; carried: string[] }> {
  const wanted = new Set(manifest.retain ?? []);
  const keep = (live?.manifest.skills ?? []).filter((s) => wanted.has(s.name));
  if (!live || keep.length === 0) return { manifest, carried: [] };
  const files: string[] = [];
  const dirs = new Set<string>();
  for (const skill of keep) {
    for (const f of skill.files) {
      const rel = `${skillFolder(skill)}/${f.path}`;
      const dst = path.join(stagingDir, 'skills', rel);
      await mkdir(path.dirname(dst), { recursive: true });
      await copyFile(path.join(live.skillsDir, rel), dst);
      await chmod(dst, f.mode);
      const got = await sha256File(dst);
      if (got.sha256 !== f.sha256 || got.size !== f.size) {
        throw new EngineError(
          'ENGINE_CARRY_MISMATCH',
          `cannot keep the live version of ${skill.name}: ${rel} differs from the live manifest`,
        );
      }
      files.push(dst);
      dirs.add(path.dirname(dst));
    }
  }
  const skills: ManifestSkill[] = [...manifest.skills, ...keep].sort((a, b) => compareBytes(a.name, b.name));
  // The kept skills are now shipped ones: a manifest naming a skill both ways does not parse.
  const { retain: _kept, ...rest } = manifest;
  const merged: BundleManifest = { ...rest, skills };
  await syncTree(files, [...dirs]);
  await writeFileAtomic(path.join(stagingDir, MANIFEST_FILE), canonicalJson(merged));
  return { manifest: merged, carried: keep.map((s) => s.name) };
}
