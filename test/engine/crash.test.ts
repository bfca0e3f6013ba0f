// Crash safety: a real process SIGKILLs itself at every apply step (and at 200+ random points), then a restart
// must show exactly the old or the new deployment, agree with state.json, leave no leftovers, and deploy again.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_PASS } from '../support/ci-pass.js';
import { CRASH_STEPS, Engine, type EngineConfig } from '../../receiver/engine/index.js';
import {
  A,
  B,
  expectedTree,
  liveTree,
  metaFor,
  recorder,
  tempDir,
  writeBundleTree,
  type Recorder,
  type TreeSpec,
  removeTempDirs,
} from './helpers.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const driver = path.join(repo, 'test/engine/crash-driver.mjs');
let engineModule = '';
let buildDir = '';
let unhealthy: Recorder;

beforeAll(async () => {
  // Compile just the engine (and the core files it imports) so the driver runs today's code as plain JS.
  buildDir = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-engine-build-'));
  const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
  const args = [
    '--outDir',
    buildDir,
    '--rootDir',
    repo,
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
  ];
  args.push(
    '--target',
    'ES2022',
    '--skipLibCheck',
    '--types',
    'node',
    path.join(repo, 'receiver/engine/index.ts'),
    // The I/O worker is loaded by URL, not imported: name it so it is compiled beside the engine.
    path.join(repo, 'receiver/io/tree-io-worker.ts'),
  );
  await promisify(execFile)(process.execPath, [tsc, ...args], { cwd: repo });
  engineModule = path.join(buildDir, 'receiver/engine/index.js');
  unhealthy = await recorder(500);
});
afterAll(async () => {
  await unhealthy?.close();
  await removeTempDirs();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

interface DriverOut {
  recoveredLive: string | null;
  status?: string;
  verify?: string[];
}

function runDriver(job: object, crashAt?: string): Promise<{ out: DriverOut | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ENGINE_MODULE: engineModule };
    if (crashAt) env.SKILL_SYNC_CRASH_AT = crashAt;
    else delete env.SKILL_SYNC_CRASH_AT;
    const child = spawn(process.execPath, [driver, JSON.stringify(job)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') return resolve({ out: null, signal });
      if (code !== 0) return reject(new Error(`driver exited ${code}: ${stderr}`));
      resolve({ out: JSON.parse(stdout) as DriverOut, signal: null });
    });
  });
}

interface Case {
  strategy: EngineConfig['strategy'];
  crashAt: string;
  old: TreeSpec | null;
  next: TreeSpec;
  third: TreeSpec;
  unhealthy?: boolean;
  /** Restart in a fresh process (default) or recover in this one (cheaper, for the randomized bulk). */
  inProcessRestart?: boolean;
}

/** Lists anything a crash could leave behind that recovery should have removed. */
async function leftovers(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'skill-sync');
  const found: string[] = [];
  for (const d of ['staging', 'tmp'])
    for (const n of await readdir(path.join(root, d))) found.push(`${d}/${n}`);
  for (const n of await readdir(root))
    if (!['staging', 'tmp', 'releases', 'state.json'].includes(n)) found.push(n);
  for (const n of await readdir(dataDir)) if (!['skills', 'skill-sync'].includes(n)) found.push(n);
  return found;
}

async function runCase(c: Case): Promise<string> {
  const dataDir = await tempDir('skill-sync-crash-', true);
  const srcDir = await tempDir('skill-sync-crash-src-', true);
  try {
    const skillsDir = path.join(dataDir, 'skills');
    const cfg: EngineConfig = { dataDir, skillsDir, strategy: c.strategy, keepReleases: 2 };
    if (c.old) {
      const e = await Engine.open(cfg);
      const staging = await e.newStaging();
      const m = await writeBundleTree(staging, c.old);
      expect((await e.exclusive(() => e.apply(staging, m, metaFor(1, c.old!)))).status).toBe('success');
      await e.close();
    }
    await writeBundleTree(path.join(srcDir, 'next'), c.next);
    const job = {
      dataDir,
      skillsDir,
      strategy: c.strategy,
      healthUrl: c.unhealthy ? unhealthy.url : undefined,
      apply: { src: path.join(srcDir, 'next'), meta: metaFor(2, c.next) },
    };
    const crashed = await runDriver(job, c.crashAt);
    if (crashed.out)
      expect(crashed.out).toMatchObject({
        status: !c.unhealthy ? 'success' : c.old ? 'rolled_back' : 'failed',
        verify: [],
      });
    // Restart: a fresh process opens the engine, which recovers.
    const restarted = c.inProcessRestart
      ? {
          out: await Engine.open(cfg).then(async (e) => ({
            recoveredLive: e.live()?.deploymentId ?? null,
            _: await e.close(),
          })),
        }
      : await runDriver({ dataDir, skillsDir, strategy: c.strategy });
    const tree = await liveTree(skillsDir);
    const oldTree = c.old ? expectedTree(c.old) : {};
    const newTree = expectedTree(c.next);
    const which = isDeepStrictEqual(tree, newTree) ? 'new' : 'old';
    expect(tree).toEqual(which === 'new' ? newTree : oldTree);
    if (c.unhealthy) expect(which).toBe('old');
    if (!crashed.signal && !c.unhealthy) expect(which).toBe('new');
    expect(await leftovers(dataDir)).toEqual([]);
    // state.json and the tree agree: the engine's own check is clean and names the same deployment.
    const e = await Engine.open(cfg);
    try {
      expect(await e.verifyLive()).toEqual([]);
      expect(e.live()?.serial ?? null).toBe(which === 'new' ? 2 : c.old ? 1 : null);
      expect(restarted.out?.recoveredLive ?? null).toBe(e.live()?.deploymentId ?? null);
      const staging = await e.newStaging();
      const m = await writeBundleTree(staging, c.third);
      const r = await e.exclusive(() => e.apply(staging, m, metaFor(3, c.third)));
      expect(r.status).toBe('success');
      expect(await liveTree(skillsDir)).toEqual(expectedTree(c.third));
    } finally {
      await e.close();
    }
    return `${crashed.signal ? 'killed' : 'completed'}→${which}`;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(srcDir, { recursive: true, force: true });
  }
}

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const THIRD: TreeSpec = { omega: { 'SKILL.md': '---\nname: omega\n---\n' } };
const fixedSteps = [
  ...CRASH_STEPS.filter((s) => s !== 'mid-journal'),
  ...[1, 2, 3, 4, 5].map((n) => `mid-journal:${n}`),
];

describe.each(['symlink', 'in-place'] as const)('%s: SIGKILL at every step', (strategy) => {
  it.concurrent.each(fixedSteps)('%s', async (crashAt) => {
    const outcome = await runCase({ strategy, crashAt, old: A, next: B, third: THIRD });
    // A step before the commit point must land on the old tree, one after it on the new tree.
    const committed = ['after-state', 'before-prune', 'after-prune'].includes(crashAt);
    if (outcome.startsWith('killed')) expect(outcome).toBe(committed ? 'killed→new' : 'killed→old');
    // The first in-place file op is always reached: the kill must really happen there (in the I/O worker).
    if (strategy === 'in-place' && crashAt === 'mid-journal:1') expect(outcome).toBe('killed→old');
  });

  it('first deploy, killed after the switch: nothing live after restart', async () => {
    expect(await runCase({ strategy, crashAt: 'after-switch', old: null, next: A, third: B })).toBe(
      'killed→old',
    );
  });
});

/** Deterministic pseudo-random numbers, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const PATHS = [
  'scripts/run.sh',
  'references/a.md',
  'references/deep/b.md',
  'assets/c.txt',
  'notes',
  'notes/x.md',
];
function randomSpec(r: () => number): TreeSpec {
  const spec: TreeSpec = {};
  for (let i = 0; i < 6; i++) {
    if (r() < 0.4) continue;
    const files: Record<string, string> = { 'SKILL.md': `---\nname: s${i}\n---\n${Math.floor(r() * 3)}\n` };
    // `notes` is a file in some trees and a folder in others: the in-place switch must cope.
    const notesAsDir = r() < 0.5;
    for (const p of PATHS) {
      if (r() < 0.5 || (p === 'notes' && notesAsDir) || (p === 'notes/x.md' && !notesAsDir)) continue;
      files[p] = `${r() < 0.3 ? '#!/bin/sh\n' : ''}${p} v${Math.floor(r() * 3)}\n`;
    }
    spec[`s${i}`] = files;
  }
  return spec;
}

// The soak runs in CI's first pass only: its seed is fixed, so a second pass would replay the same 200 kills on
// another Node. The engine's crash safety lives in its file operations, and every step is still killed on both
// runtimes by the suites above (docs/decisions.md, "CI").
describe.skipIf(SECOND_PASS)('randomized crash points', () => {
  it('survives ≥ 200 random SIGKILLs across both strategies', { timeout: 600_000 }, async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20240611);
    // CI runs 200; CRASH_CASES raises it for a soak run.
    const COUNT = Math.max(200, Number(process.env.CRASH_CASES ?? 200));
    const r = rng(seed);
    const cases: Case[] = Array.from({ length: COUNT }, () => {
      const step = CRASH_STEPS[Math.floor(r() * CRASH_STEPS.length)]!;
      return {
        strategy: r() < 0.5 ? 'symlink' : 'in-place',
        crashAt: step === 'mid-journal' ? `mid-journal:${1 + Math.floor(r() * 24)}` : step,
        old: r() < 0.15 ? null : randomSpec(r),
        next: randomSpec(r),
        third: randomSpec(r),
        unhealthy: r() < 0.2,
        inProcessRestart: true,
      };
    });
    const outcomes: Record<string, number> = {};
    await pool(cases, 3, async (c) => {
      const o = await runCase(c).catch((err: Error) => {
        throw new Error(`seed ${seed}, case ${JSON.stringify(c)}: ${err.message}`);
      });
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    });
    // Both ends must really be exercised: crashes that land on the old tree and ones that land on the new.
    expect(outcomes['killed→old']).toBeGreaterThan(20);
    expect(outcomes['killed→new']).toBeGreaterThan(5);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(COUNT);
  });
});

it('the crash hook names every step the engine uses', async () => {
  expect((await stat(driver)).isFile()).toBe(true);
  expect(CRASH_STEPS).toContain('mid-journal');
});
