// Action-path benchmark: `node dist/index.js` (validate + scan + pack + sign, dry-run) vs `tar czf` of the same tree.
// Run: npm run bundle && node lib/bench/action.js   (BENCH_JSON=out.json to also write the figures)
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSkillsRepo } from './fixtures.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(REPO, 'dist', 'index.js');
const TARGET = 1.5;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Figure {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: number;
  met?: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function timed(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function measure(count: number, key: string): Promise<Figure[]> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), `skill-sync-bench-${count}-`));
  const runnerTemp = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-bench-runner-'));
  try {
    await generateSkillsRepo(workspace, count);
    const env = {
      PATH: process.env.PATH ?? '',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REPOSITORY: 'bench/skills',
      GITHUB_SHA: '0'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: path.join(runnerTemp, 'output'),
      GITHUB_STEP_SUMMARY: path.join(runnerTemp, 'summary.md'),
      RUNNER_TEMP: runnerTemp,
      INPUT_PATH: 'skills',
      'INPUT_SIGNING-KEY': key,
      'INPUT_DRY-RUN': 'true',
      INPUT_RELEASE: 'false',
    };
    await writeFile(env.GITHUB_OUTPUT, '');
    const action: number[] = [];
    const tar: number[] = [];
    // What Node needs to start and exit doing nothing: a floor under any Action written for the node24 runtime.
    const boot: number[] = [];
    const tarOut = path.join(runnerTemp, 'baseline.tar.gz');
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so both see the same page-cache and machine load.
      tar.push(timed(() => execFileSync('tar', ['czf', tarOut, '-C', workspace, 'skills'])));
      boot.push(timed(() => execFileSync(process.execPath, ['-e', '0'])));
      action.push(
        timed(() => {
          const r = spawnSync(process.execPath, [DIST], { cwd: workspace, env, encoding: 'utf8' });
          if (r.status !== 0)
            throw new Error(`action failed (${r.status}): ${r.stdout.slice(-2000)}${r.stderr}`);
        }),
      );
    }
    const value = median(action);
    const baseline = median(tar);
    const ratio = value / baseline;
    const start = median(boot);
    return [
      {
        metric: `action_wall_${count}_skills`,
        value: Math.round(value),
        unit: 'ms',
        baseline: Math.round(baseline),
        ratio: Number(ratio.toFixed(2)),
        target: TARGET,
        met: ratio <= TARGET,
      },
      {
        metric: `node_startup_floor_${count}_skills`,
        value: Math.round(start),
        unit: 'ms',
        baseline: Math.round(baseline),
        ratio: Number((start / baseline).toFixed(2)),
      },
    ];
  } finally {
    await rm(workspace, { recursive: true, force: true });
    await rm(runnerTemp, { recursive: true, force: true });
  }
}

const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const sizes = (process.argv[2] ?? '130,10000').split(',').map(Number);
const figures: Figure[] = [];
for (const n of sizes) {
  const [f, start] = (await measure(n, key)) as [Figure, Figure];
  figures.push(f, start);
  process.stdout.write(
    `${n} skills: action ${f.value} ms, tar czf ${f.baseline} ms, ratio ${f.ratio}× (target ≤ ${TARGET}×) ${f.met ? 'met' : 'NOT met'}; ` +
      `node -e 0 alone ${start.value} ms (${start.ratio}× tar czf)\n`,
  );
}
if (process.env.BENCH_JSON)
  await writeFile(process.env.BENCH_JSON, JSON.stringify({ name: 'action', figures }, null, 2) + '\n');
