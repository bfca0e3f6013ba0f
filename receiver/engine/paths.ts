// Engine layout on the data volume: releases, state, lock, journal, staging and temp folders.
import path from 'node:path';

export interface Layout {
  root: string;
  releases: string;
  state: string;
  lock: string;
  journal: string;
  staging: string;
  tmp: string;
  live: string;
}

export function layoutFor(dataDir: string, skillsDir: string): Layout {
  const root = path.join(dataDir, 'skill-sync');
  return {
    root,
    releases: path.join(root, 'releases'),
    state: path.join(root, 'state.json'),
    lock: path.join(root, 'lock'),
    journal: path.join(root, 'journal.json'),
    staging: path.join(root, 'staging'),
    tmp: path.join(root, 'tmp'),
    live: path.resolve(skillsDir),
  };
}

/** Release ids become folder names: keep them to a safe charset. */
export const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function releaseDir(l: Layout, id: string): string {
  return path.join(l.releases, id);
}

export function releaseSkills(l: Layout, id: string): string {
  return path.join(l.releases, id, 'skills');
}
