// Receiver benchmark: push-to-live of a 130-skill bundle (p50/p99, both strategies) vs `cp -r` + `sync`; 50 MB ingest RSS.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/receiver.js [--quick] [--strategy=in-place|symlink]
//      [--no-rss | --rss-only]   (BENCH_JSON=out.json writes figures; the flags only narrow a run while iterating)
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  MB,
  benchKey,
  INGEST_TREE,
  measureIngestRss,
  packTree,
  percentile,
  postDeployment,
  printFigures,
  round,
  serials,
  startReceiver,
  signRelease,
  tempDir,
  writeBenchJson,
  writeSkillTree,
  type BenchKey,
  type Bundle,
  type Figure,
  type IngestRss,
} from './support.js';

const quick = process.argv.includes('--quick');
const DEPLOYS = quick ? 20 : 50;
const FLOOR_RUNS = quick ? 10 : 20;
const WARMUP = 2;
const FLOOR_RATIO_TARGET = 3;
const RSS_TARGET_MB = 30;
const STRATEGIES = ['in-place', 'symlink'] as const;
const only = process.argv.find((a) => a.startsWith('--strategy='))?.slice('--strategy='.length);
const rssOnly = process.argv.includes('--rss-only');
const runRss = !process.argv.includes('--no-rss');
const strategies = rssOnly ? [] : STRATEGIES.filter((s) => !only || s === only);

/** `cp -r` of the skills tree into a fresh folder, then `sync`: the cheapest durable copy of the same bytes. */
async function floorMs(src: string, scratch: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dst = path.join(scratch, `copy-${i}`);
    const t = performance.now();
    execFileSync('cp', ['-r', src, dst]);
    execFileSync('sync');
    times.push(performance.now() - t);
    await rm(dst, { recursive: true, force: true });
  }
  return times;
}

async function pushToLive(
  strategy: (typeof STRATEGIES)[number],
  bundles: [Bundle, Bundle],
  key: BenchKey,
  work: string,
): Promise<number[]> {
  const dataDir = path.join(work, `data-${strategy}`);
  await mkdir(dataDir);
  const rx = await startReceiver({ dataDir, publicKeys: key.publicKeys, env: { DEPLOY_STRATEGY: strategy } });
  const next = serials();
  const times: number[] = [];
  try {
    for (let i = 0; i < WARMUP + DEPLOYS; i++) {
      const bundle = bundles[i % 2] as Bundle;
      const header = signRelease(bundle, key.signing, next());
      const r = await postDeployment(rx.url, header, bundle.bytes);
      if (r.status !== 201)
        throw new Error(`${strategy} deploy ${i}: HTTP ${r.status} ${r.body}\n${rx.tail().slice(-3000)}`);
      if (i >= WARMUP) times.push(r.ms);
    }
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return times;
}

/** Peak RSS growth of a warm receiver (default strategy) while it streams, unpacks, checks and applies `big`. */
async function ingestRss(small: Bundle, big: Bundle, key: BenchKey, work: string): Promise<IngestRss> {
  const dataDir = path.join(work, 'data-rss');
  await mkdir(dataDir);
  const rx = await startReceiver({ dataDir, publicKeys: key.publicKeys });
  try {
    return await measureIngestRss(rx, small, big, key);
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const work = await tempDir('skill-sync-bench-receiver-');
const figures: Figure[] = [];
try {
  const key = benchKey();
  const treeA = path.join(work, 'src-a');
  const treeB = path.join(work, 'src-b');
  const bytes = await writeSkillTree(treeA, { skills: 130, variant: 'a' });
  await writeSkillTree(treeB, { skills: 130, variant: 'b' });
  const a = await packTree(treeA, path.join(work, 'a.tar.gz'));
  const b = await packTree(treeB, path.join(work, 'b.tar.gz'));
  process.stdout.write(
    `130 skills, ${(bytes / MB).toFixed(2)} MiB of files (SKILL.md 2–8 KB, a script, 2 references), ` +
      `bundle ${(a.bytes.length / 1024).toFixed(0)} KiB; the two bundles differ in every SKILL.md\n`,
  );

  const scratch = path.join(work, 'floor');
  await mkdir(scratch);
  const floor = strategies.length ? percentile(await floorMs(treeA, scratch, FLOOR_RUNS), 50) : NaN;
  if (strategies.length)
    process.stdout.write(`floor: cp -r + sync, p50 of ${FLOOR_RUNS}: ${floor.toFixed(1)} ms\n`);

  for (const strategy of strategies) {
    const times = await pushToLive(strategy, [a, b], key, work);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    process.stdout.write(
      `${strategy}: ${DEPLOYS} deploys, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ` +
        `min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms\n`,
    );
    figures.push(
      {
        metric: `push-to-live.${strategy}.p50`,
        value: round(p50, 1),
        unit: 'ms',
        baseline: round(floor, 1),
        ratio: round(p50 / floor),
      },
      {
        metric: `push-to-live.${strategy}.p50-vs-floor`,
        value: round(p50 / floor),
        unit: '×',
        target: FLOOR_RATIO_TARGET,
        met: p50 / floor <= FLOOR_RATIO_TARGET,
      },
      {
        metric: `push-to-live.${strategy}.p99`,
        value: round(p99, 1),
        unit: 'ms',
        baseline: round(floor, 1),
        ratio: round(p99 / floor),
      },
    );
  }

  // The same deploys with the data dir in memory (tmpfs): what the code costs once this machine's shared,
  // noisy disk is out of the picture. Info only: the target is for the real volume.
  const shm = strategies.length
    ? await mkdtemp(path.join('/dev/shm', 'skill-sync-bench-')).catch(() => null)
    : null;
  if (shm) {
    try {
      const shmScratch = path.join(shm, 'floor');
      await mkdir(shmScratch);
      const shmFloor = percentile(await floorMs(treeA, shmScratch, FLOOR_RUNS), 50);
      process.stdout.write(
        `tmpfs (/dev/shm) floor: cp -r + sync, p50 of ${FLOOR_RUNS}: ${shmFloor.toFixed(1)} ms\n`,
      );
      for (const strategy of strategies) {
        const p50 = percentile(await pushToLive(strategy, [a, b], key, shm), 50);
        process.stdout.write(`${strategy} on tmpfs: ${DEPLOYS} deploys, p50 ${p50.toFixed(1)} ms\n`);
        figures.push({
          metric: `push-to-live.${strategy}.p50-on-tmpfs`,
          value: round(p50, 1),
          unit: 'ms',
          baseline: round(shmFloor, 1),
          ratio: round(p50 / shmFloor),
        });
      }
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  }

  if (runRss) await rssCase(a, key);
} finally {
  await rm(work, { recursive: true, force: true });
}
printFigures(figures);
await writeBenchJson('receiver', figures);
if (figures.some((f) => f.met === false)) process.exitCode = 1;

async function rssCase(a: Bundle, key: BenchKey): Promise<void> {
  const treeBig = path.join(work, 'src-big');
  await writeSkillTree(treeBig, INGEST_TREE);
  const big = await packTree(treeBig, path.join(work, 'big.tar.gz'));
  const rss = await ingestRss(a, big, key, work);
  process.stdout.write(
    `ingest of a ${(big.bytes.length / 1e6).toFixed(1)} MB bundle: RSS ${rss.beforeMb.toFixed(1)} → peak ` +
      `${rss.peakMb.toFixed(1)} MB (+${rss.growthMb.toFixed(1)} MB) in ${rss.ms.toFixed(0)} ms (${rss.method})\n`,
  );
  figures.push({
    metric: `ingest-${Math.round(big.bytes.length / 1e6)}mb.rss-growth`,
    value: round(rss.growthMb, 1),
    unit: 'MB',
    target: RSS_TARGET_MB,
    met: rss.growthMb <= RSS_TARGET_MB,
  });
}
