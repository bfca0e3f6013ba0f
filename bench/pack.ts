// Pack benchmark: `skill-sync pack` (validate, scan, bundle) of a repo shaped like the user's vs `tar czf` of it.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/pack.js [pairs]   (BENCH_JSON=out.json writes figures)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SHAPE_SKILLS, writeUserRepoShape } from '../test/support/user-repo.js';
import { CLI, printFigures, round, tempDir, writeBenchJson, type Figure } from './support.js';

const run = promisify(execFile);
const TARGET = 1.3;
const MB = 1_000_000;
const pairs = Number(process.argv[2] ?? 5);

/**
 * The user's repo is about 21 MB, mostly JPEG/PNG/MP3: the shared shape carries its largest assets, and a cover
 * image in a few more skills brings the tree to the repo's size (random bytes: incompressible, like media).
 */
const EXTRA_COVERS = 8;
const COVER_BYTES = 1_500_000;

async function treeBytes(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    bytes += (await stat(path.join(e.parentPath, e.name))).size;
    files++;
  }
  return { bytes, files };
}

async function timed(cmd: string, args: string[]): Promise<number> {
  const started = performance.now();
  await run(cmd, args, { maxBuffer: 16 * MB });
  return (performance.now() - started) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const work = await tempDir('skill-sync-bench-pack-');
try {
  const root = path.join(work, 'repo');
  await writeUserRepoShape(root, 'bench');
  for (const folder of SHAPE_SKILLS.filter((s) => s.startsWith('kurultai-')).slice(0, EXTRA_COVERS)) {
    const dir = path.join(root, 'skills', folder, 'assets');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'cover.jpeg'), randomBytes(COVER_BYTES));
  }
  const { bytes, files } = await treeBytes(root);
  const bundle = path.join(work, 'skills.tar.gz');
  const tgz = path.join(work, 'baseline.tar.gz');
  const pack = async () => {
    await rm(bundle, { force: true });
    return timed(process.execPath, [CLI, 'pack', root, '--out', bundle, '--json']);
  };
  const tar = () => timed('tar', ['czf', tgz, '-C', root, '.']);
  // One unmeasured pair: the first start of node and the first read of each file are not what a pair compares.
  await pack();
  await tar();
  const packs: number[] = [];
  const tars: number[] = [];
  for (let i = 0; i < pairs; i++) {
    packs.push(await pack());
    tars.push(await tar());
  }
  const p = median(packs);
  const t = median(tars);
  const ratio = p / t;
  const { size } = await stat(bundle);
  const { size: tarSize } = await stat(tgz);
  process.stdout.write(
    `tree: ${SHAPE_SKILLS.length} skills, ${files} files, ${(bytes / MB).toFixed(1)} MB; ` +
      `bundle ${(size / MB).toFixed(1)} MB, tar czf ${(tarSize / MB).toFixed(1)} MB\n` +
      `pack runs (s): ${packs.map((x) => x.toFixed(2)).join(' ')}\n` +
      `tar czf runs (s): ${tars.map((x) => x.toFixed(2)).join(' ')}\n` +
      `(${os.cpus().length} CPUs, page cache warm; median of ${pairs} pairs, run alternately)\n`,
  );
  const figures: Figure[] = [
    {
      metric: `pack-${SHAPE_SKILLS.length}.wall`,
      value: round(p),
      unit: 's',
      baseline: round(t),
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
    },
    { metric: `pack-${SHAPE_SKILLS.length}.throughput`, value: round(bytes / MB / p), unit: 'MB/s' },
  ];
  printFigures(figures);
  await writeBenchJson('pack', figures);
  if (figures.some((f) => f.met === false)) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
