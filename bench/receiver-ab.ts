// A/B of the receiver's performance layer, in one bench process: each part switched off in turn (I/O lanes,
// garbage budget), interleaved rounds of in-place deploys and the 50 MB ingest's RSS. --baseline=DIR adds another
// checkout's build (its bin/ and lib/) as one more variant: a before/after in the same rounds.
// --only=a,b keeps the variants whose names start with a or b.
// Run: npm run build && node lib/bench/receiver-ab.js [--rounds=N] [--baseline=DIR] [--only=…]
// (figures: docs/decisions.md)
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  benchKey,
  INGEST_TREE,
  measureIngestRss,
  packTree,
  percentile,
  postDeployment,
  serials,
  startReceiver,
  signRelease,
  tempDir,
  writeSkillTree,
  type BenchKey,
  type Bundle,
} from './support.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
const BASELINE = process.argv.find((a) => a.startsWith('--baseline='))?.slice(11);
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const DEPLOYS = 12;
const WARMUP = 2;

interface Variant {
  name: string;
  env?: Record<string, string>;
  nodeFlags?: string[];
  cli?: string;
}

const ALL_VARIANTS: Variant[] = [
  { name: 'all on' },
  { name: 'one I/O lane', env: { SKILL_SYNC_IO_LANES: '1' } },
  { name: 'no garbage budget', nodeFlags: [] },
  ...(BASELINE ? [{ name: `baseline ${BASELINE}`, cli: path.resolve(BASELINE, 'bin/skill-sync.js') }] : []),
];
const VARIANTS = ALL_VARIANTS.filter((v) => !ONLY || ONLY.some((o) => v.name.startsWith(o)));

async function deploys(v: Variant, bundles: [Bundle, Bundle], key: BenchKey, work: string): Promise<number> {
  const dataDir = await mkdtemp(path.join(work, 'data-'));
  const rx = await startReceiver({
    dataDir,
    publicKeys: key.publicKeys,
    env: { DEPLOY_STRATEGY: 'in-place', ...v.env },
    ...(v.nodeFlags ? { nodeFlags: v.nodeFlags } : {}),
    ...(v.cli ? { cli: v.cli } : {}),
  });
  const next = serials();
  const times: number[] = [];
  try {
    for (let i = 0; i < WARMUP + DEPLOYS; i++) {
      const bundle = bundles[i % 2] as Bundle;
      const r = await postDeployment(rx.url, signRelease(bundle, key.signing, next()), bundle.bytes);
      if (r.status !== 201) throw new Error(`${v.name} deploy ${i}: HTTP ${r.status} ${r.body}`);
      if (i >= WARMUP) times.push(r.ms);
    }
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return percentile(times, 50);
}

async function rssGrowthMb(
  v: Variant,
  small: Bundle,
  big: Bundle,
  key: BenchKey,
  work: string,
): Promise<number> {
  const dataDir = await mkdtemp(path.join(work, 'rss-'));
  const rx = await startReceiver({
    dataDir,
    publicKeys: key.publicKeys,
    ...(v.env ? { env: v.env } : {}),
    ...(v.nodeFlags ? { nodeFlags: v.nodeFlags } : {}),
    ...(v.cli ? { cli: v.cli } : {}),
  });
  try {
    return (await measureIngestRss(rx, small, big, key)).growthMb;
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const work = await tempDir('skill-sync-bench-ab-');
try {
  const key = benchKey();
  const treeA = path.join(work, 'src-a');
  const treeB = path.join(work, 'src-b');
  await writeSkillTree(treeA, { skills: 130, variant: 'a' });
  await writeSkillTree(treeB, { skills: 130, variant: 'b' });
  const a = await packTree(treeA, path.join(work, 'a.tar.gz'));
  const b = await packTree(treeB, path.join(work, 'b.tar.gz'));
  const bigTree = path.join(work, 'src-big');
  await writeSkillTree(bigTree, INGEST_TREE);
  const big = await packTree(bigTree, path.join(work, 'big.tar.gz'));
  const shm = await mkdtemp(path.join('/dev/shm', 'skill-sync-bench-ab-')).catch(() => null);
  const disk = path.join(work, 'disk');
  await mkdir(disk);
  const p50s = new Map<string, { disk: number[]; tmpfs: number[]; rss: number[] }>();
  for (const v of VARIANTS) p50s.set(v.name, { disk: [], tmpfs: [], rss: [] });
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS) {
      const f = p50s.get(v.name)!;
      f.disk.push(await deploys(v, [a, b], key, disk));
      if (shm) f.tmpfs.push(await deploys(v, [a, b], key, shm));
      f.rss.push(await rssGrowthMb(v, a, big, key, disk));
      process.stdout.write(
        `round ${round + 1} ${v.name}: in-place p50 disk ${f.disk.at(-1)!.toFixed(1)} ms, ` +
          `tmpfs ${(f.tmpfs.at(-1) ?? NaN).toFixed(1)} ms, 50 MB ingest RSS +${f.rss.at(-1)!.toFixed(1)} MB\n`,
      );
    }
  }
  if (shm) await rm(shm, { recursive: true, force: true });
  process.stdout.write(
    `\n| variant | in-place p50, disk | in-place p50, tmpfs | 50 MB ingest RSS growth |\n|---|---|---|---|\n`,
  );
  for (const [name, f] of p50s) {
    const med = (xs: number[]) => percentile(xs, 50).toFixed(1);
    process.stdout.write(`| ${name} | ${med(f.disk)} ms | ${med(f.tmpfs)} ms | +${med(f.rss)} MB |\n`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
