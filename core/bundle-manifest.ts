// Bundle manifest (`skill-sync.json` at the bundle root): the list of skills and files a bundle carries.
import type { SkillFile } from './skill/model.js';

export const MANIFEST_FILE = 'skill-sync.json';
export const SKILLS_PREFIX = 'skills/';

export interface ManifestSkill {
  name: string;
  version: string;
  /** Folder inside the bundle: `skills/<name>`. */
  path: string;
  /** Folder in the source repo, for humans. */
  source: string;
  fingerprint: string;
  files: SkillFile[];
}

export interface BundleManifest {
  v: 1;
  skills: ManifestSkill[];
  /**
   * Skills left out by `on-invalid: skip`: the receiver keeps their live version, carried over from the live
   * release and checked against its manifest (docs/action.md). Absent when nothing was skipped.
   */
  retain?: string[];
}
