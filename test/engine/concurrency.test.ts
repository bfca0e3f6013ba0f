// Concurrent pushes: 20 simultaneous exclusive(apply) calls with 5 serials end with the highest live, never mixed.
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../receiver/engine/index.js';
import {
  expectedTree,
  liveTree,
  metaFor,
  tempDir,
  writeBundleTree,
  type TreeSpec,
  removeTempDirs,
} from './helpers.js';

afterAll(removeTempDirs);

function specFor(serial: number): TreeSpec {
  const spec: TreeSpec = {};
  // Every serial has a different set of skills and contents, so a mix of two would be visible.
  for (let i = 0; i < 3 + serial; i++) {
    spec[`skill-${i}`] = {
      'SKILL.md': `---\nname: skill-${i}\n---\nserial ${serial}\n`,
      'refs/r.md': `r${serial}-${i}\n`,
    };
  }
  return spec;
}

describe.each(['symlink', 'in-place'] as const)('%s', (strategy) => {
  it('applies serials in order or skips them, and the highest ends live', async () => {
    const dataDir = await tempDir();
    const skillsDir = path.join(dataDir, 'skills');
    const engine = await Engine.open({ dataDir, skillsDir, strategy, keepReleases: 3 });
    const serials = Array.from({ length: 20 }, (_, i) => [300, 100, 500, 200, 400][i % 5]!);
    const applied: number[] = [];
    const outcomes = await Promise.all(
      serials.map(async (serial, i) => {
        // Like the HTTP layer: the body is unpacked before queueing, the serial rule is checked inside the lock.
        const spec = specFor(serial / 100);
        const staging = await engine.newStaging();
        const manifest = await writeBundleTree(staging, spec);
        return engine.exclusive(async () => {
          const highest = engine.highestSerial();
          if (highest && serial <= highest.serial) {
            await (await import('node:fs/promises')).rm(staging, { recursive: true, force: true });
            return 'skipped';
          }
          const r = await engine.apply(staging, manifest, metaFor(serial, spec, `push-${i}`));
          applied.push(serial);
          // Checked after every apply: exactly this deployment, never a mix.
          expect(isDeepStrictEqual(await liveTree(skillsDir), expectedTree(spec))).toBe(true);
          return r.status;
        });
      }),
    );
    expect(outcomes.filter((o) => o === 'success').length).toBe(applied.length);
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
    expect(applied.at(-1)).toBe(500);
    expect(engine.live()?.serial).toBe(500);
    expect(await liveTree(skillsDir)).toEqual(expectedTree(specFor(5)));
    expect(await engine.verifyLive()).toEqual([]);
    await engine.close();
  });
});
