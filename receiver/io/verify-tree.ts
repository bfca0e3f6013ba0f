// The unpacked tree must be exactly what the bundle's manifest says: no more, no less, same bytes and modes.
import { BundleError } from '../../core/bundle/errors.js';
import { MANIFEST_FILE, expectedFingerprint, parseManifest } from '../../core/bundle/manifest-json.js';
import type { BundleManifest } from '../../core/bundle-manifest.js';

/** A file as it was written: its hash, size and mode. */
export interface Written {
  sha256: string;
  size: number;
  mode: number;
}

/**
 * Checks the written `files` and `dirs` (bundle paths) against the manifest and returns it; a difference is a
 * BundleError.
 */
export function verifyTree(
  manifestBytes: Buffer | null,
  files: ReadonlyMap<string, Written>,
  dirs: readonly string[],
): BundleManifest {
  if (!manifestBytes) throw new BundleError('manifest-invalid', `${MANIFEST_FILE} is missing`);
  const manifest = parseManifest(manifestBytes);
  const mismatch = (msg: string) => new BundleError('manifest-mismatch', msg);
  const listed = new Set<string>([MANIFEST_FILE]);
  const allowedDirs = new Set<string>(['skills']);
  for (const skill of manifest.skills) {
    const skillMd = `${skill.path}/SKILL.md`;
    if (!skill.files.some((f) => f.path === 'SKILL.md') || !files.has(skillMd)) {
      throw new BundleError('skill-md-missing', `${skillMd} is not a regular file in the bundle`);
    }
    if (expectedFingerprint(skill.files) !== skill.fingerprint) {
      throw mismatch(`skill '${skill.name}': fingerprint does not match its files`);
    }
    allowedDirs.add(skill.path);
    for (const f of skill.files) {
      const p = `${skill.path}/${f.path}`;
      const got = files.get(p);
      if (!got) throw mismatch(`${p} is listed but not in the bundle`);
      if (got.sha256 !== f.sha256) throw mismatch(`${p}: sha256 differs from the manifest`);
      if (got.size !== f.size) throw mismatch(`${p}: size differs from the manifest`);
      if (got.mode !== f.mode) throw mismatch(`${p}: mode differs from the manifest`);
      listed.add(p);
      const segments = f.path.split('/');
      for (let i = 1; i < segments.length; i++)
        allowedDirs.add(`${skill.path}/${segments.slice(0, i).join('/')}`);
    }
  }
  for (const p of files.keys()) if (!listed.has(p)) throw mismatch(`${p} is not listed in the manifest`);
  for (const d of dirs)
    if (!allowedDirs.has(d)) throw mismatch(`folder ${d} is not part of any listed skill`);
  return manifest;
}
