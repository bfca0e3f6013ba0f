// First start on a live folder that already holds skills: copy it into release `initial-<ts>` so it is a backup.
import { cp, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../../core/digest.js';
import { fsyncDir, syncTree } from '../../core/fsutil.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { releaseDir, type Layout } from './paths.js';
import { diffTree, manifestFromTree, scanTree } from './tree.js';
import { EngineError, type LiveState } from './types.js';

/**
 * Copies the live folder into a new release and returns it as the live state to commit. The live folder
 * itself is not touched here: the caller commits state first, then (symlink) swaps the folder for the link.
 */
export async function adoptLive(l: Layout, staging: string): Promise<LiveState> {
  const described = await manifestFromTree(l.live);
  if ('problem' in described) {
    throw new EngineError(
      'ENGINE_ADOPT_REFUSED',
      `${l.live} already holds files that are not a set of skill folders (${described.problem}); move them away or empty it, then restart`,
    );
  }
  const { manifest } = described;
  await cp(l.live, path.join(staging, 'skills'), { recursive: true, preserveTimestamps: true });
  await writeFile(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  const copied = await diffTree(path.join(staging, 'skills'), manifest);
  if (copied.length) {
    throw new EngineError(
      'ENGINE_ADOPT_RACE',
      `${l.live} changed while it was being adopted; restart to retry`,
    );
  }
  // The copy becomes the only backup of the operator's files: make it durable before anything refers to it.
  const entries = [...((await scanTree(staging)) ?? new Map()).entries()];
  const of = (kind: string) => entries.filter(([, e]) => e.kind === kind).map(([p]) => path.join(staging, p));
  await syncTree(of('file'), [...of('dir'), staging]);
  const id = `initial-${Date.now()}`;
  await mkdir(l.releases, { recursive: true });
  await rename(staging, releaseDir(l, id));
  await fsyncDir(l.releases);
  const manifestJson = JSON.stringify(manifest);
  return {
    deploymentId: id,
    serial: 0,
    digest: sha256(manifestJson),
    repository: '',
    ref: '',
    commit: '',
    trigger: 'adopt',
    appliedAt: new Date().toISOString(),
    manifest,
  };
}
