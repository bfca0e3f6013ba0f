// SIGKILL of the real receiver at every step of a push, both strategies: after restart the live tree is exactly
// the old or the new release, nothing is left in staging, and the next push succeeds.
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRASH_STEPS } from '../../receiver/engine/index.js';
import { liveTree } from '../engine/helpers.js';
import { startReceiver, tempDir } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';
import { readdir } from 'node:fs/promises';

const key = ed25519Key();
const env = { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, KEEP_RELEASES: '2' };
// Every engine step; the mid-journal one at two depths (after the first and the third file operation).
const STEPS = CRASH_STEPS.flatMap((s) => (s === 'mid-journal' ? ['mid-journal:1', 'mid-journal:3'] : [s]));

let P: SignedRelease, A: SignedRelease, B: SignedRelease, D: SignedRelease;
const trees: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  // Signed in serial order: P < A < B < D.
  P = await buildRelease({ five: { version: '1' } }, key.signing);
  A = await buildRelease(
    { one: { version: '1' }, two: { version: '1', files: { 'notes.md': 'a\n' } } },
    key.signing,
  );
  B = await buildRelease(
    {
      one: { version: '2', body: '# one v2\n' },
      three: { version: '1' },
      four: { version: '1', files: { 'x.md': 'x\n' } },
    },
    key.signing,
  );
  D = await buildRelease({ six: { version: '1' } }, key.signing);
});

describe.each(['in-place', 'symlink'])('crash safety over HTTP (%s)', (strategy) => {
  let seed: string;
  beforeAll(async () => {
    // One data dir with A live and two kept releases (so pruning runs on the next push), copied for every case.
    seed = await tempDir('skill-sync-crash-seed-');
    const rx = await startReceiver({ dataDir: seed, env: { ...env, DEPLOY_STRATEGY: strategy } });
    try {
      expect((await postBundle(rx.url, P)).status).toBe(201);
      expect((await postBundle(rx.url, A)).status).toBe(201);
    } finally {
      await rx.stop();
    }
    trees[`${strategy}:A`] = await liveTree(path.join(seed, 'skills'));
  });

  it.each(STEPS)('SIGKILL at %s leaves exactly A or B, and recovers', async (step) => {
    const dataDir = await tempDir('skill-sync-crash-');
    await cp(seed, dataDir, { recursive: true, verbatimSymlinks: true });
    // Symlinks inside the seed point into the seed; the engine repoints or rebuilds them on recovery.
    const crashing = await startReceiver({
      dataDir,
      env: { ...env, DEPLOY_STRATEGY: strategy, SKILL_SYNC_CRASH_AT: step },
    });
    const res = await postBundle(crashing.url, B).catch((err: Error) => ({
      status: 0,
      json: { err: err.message },
    }));
    if (res.status === 0) await crashing.exited;
    else await crashing.stop();

    const restarted = await startReceiver({ dataDir, env: { ...env, DEPLOY_STRATEGY: strategy } });
    try {
      const tree = await liveTree(path.join(dataDir, 'skills'));
      const isA = JSON.stringify(tree) === JSON.stringify(trees[`${strategy}:A`]);
      const isB = Object.keys(tree).sort().join() === 'four/SKILL.md,four/x.md,one/SKILL.md,three/SKILL.md';
      expect(isA || isB, `${step}: live tree is mixed: ${Object.keys(tree).join(', ')}`).toBe(true);
      expect(await readdir(path.join(dataDir, 'skill-sync/staging'))).toEqual([]);
      expect(await readdir(path.join(dataDir, 'skill-sync/tmp'))).toEqual([]);
      const next = await postBundle(restarted.url, D);
      expect(next.status).toBe(201);
      expect(Object.keys(await liveTree(path.join(dataDir, 'skills')))).toEqual(['six/SKILL.md']);
    } finally {
      await restarted.stop();
    }
  });
});
