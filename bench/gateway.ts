// Gateway benchmark: receiver 201 → the real gateway's skills.status shows the new set, against the gateway's own floor.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/gateway.js [--quick]   (BENCH_JSON=out.json writes figures)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GatewayClient } from '../receiver/gateway/client.js';
import { startGateway, type RunningGateway } from '../scripts/gateway/process.js';
import {
  benchKey,
  packTree,
  percentile,
  postDeployment,
  printFigures,
  round,
  serials,
  signRelease,
  startReceiver,
  tempDir,
  writeBenchJson,
  type BenchKey,
  type Figure,
} from './support.js';

const quick = process.argv.includes('--quick');
const DEPLOYS = quick ? 10 : 30;
const SKILLS = 64;
const STRATEGIES = ['in-place', 'symlink'] as const;

/**
 * The gateway's own floor, read from its code: after a change its watcher waits for the file to stay unchanged
 * for `awaitWriteFinish.stabilityThreshold`, then debounces rescans by `SKILLS_WATCH_DEBOUNCE_MS`.
 */
function gatewayFloorMs(entry: string): { debounce: number; stability: number } {
  const dist = path.join(path.dirname(entry), 'dist');
  for (const f of readdirSync(dist)) {
    if (!f.startsWith('refresh-') || !f.endsWith('.mjs')) continue;
    const code = readFileSync(path.join(dist, f), 'utf8');
    const debounce = /const SKILLS_WATCH_DEBOUNCE_MS = (\d+);/.exec(code);
    const stability = /stabilityThreshold: (\w+)/.exec(code);
    if (!debounce || !stability) continue;
    const value = stability[1] === 'SKILLS_WATCH_DEBOUNCE_MS' ? Number(debounce[1]) : Number(stability[1]);
    return { debounce: Number(debounce[1]), stability: value };
  }
  throw new Error('could not find the skills watcher settings in the gateway package');
}

async function writeSet(root: string, n: number): Promise<void> {
  for (let i = 0; i < SKILLS; i++) {
    const name = `gw-bench-${String(i).padStart(2, '0')}`;
    const dir = path.join(root, 'skills', name);
    await mkdir(path.join(dir, 'references'), { recursive: true });
    await writeFile(
      path.join(dir, 'SKILL.md'),
      `---\nname: ${name}\ndescription: ${name} at deploy ${n}\n---\n\n# ${name}\n\nSteps.\n`,
    );
    await writeFile(path.join(dir, 'references', 'notes.md'), `# ${name}\n\n${'Reference. '.repeat(300)}\n`);
  }
}

/** Polls skills.status on one connection until every bench skill shows deploy n; returns when that was seen. */
async function seenAt(client: GatewayClient, n: number, limitMs: number): Promise<number> {
  const want = `at deploy ${n}`;
  const start = performance.now();
  for (;;) {
    const st = await client.skillsStatus();
    const ours = st.skills.filter((s) => s.name.startsWith('gw-bench-'));
    if (ours.length === SKILLS && ours.every((s) => s.description?.endsWith(want))) return performance.now();
    if (performance.now() - start > limitMs)
      throw new Error(`the gateway did not show deploy ${n} within ${limitMs} ms`);
  }
}

async function run(strategy: (typeof STRATEGIES)[number], gw: RunningGateway, key: BenchKey, work: string) {
  const dataDir = path.join(work, `data-${strategy}`);
  await mkdir(dataDir);
  const rx = await startReceiver({
    dataDir,
    publicKeys: key.publicKeys,
    env: { DEPLOY_STRATEGY: strategy, SKILLS_DIR: gw.liveDir, GATEWAY_CHECK: 'off' },
  });
  const client = await gw.connect();
  const next = serials();
  const afterOk: number[] = [];
  const postToSeen: number[] = [];
  try {
    for (let n = 0; n <= DEPLOYS; n++) {
      const src = path.join(work, `${strategy}-${n}`);
      await writeSet(src, n);
      const bundle = await packTree(path.join(src, 'skills'), path.join(work, `${strategy}-${n}.tar.gz`));
      const t0 = performance.now();
      const r = await postDeployment(rx.url, signRelease(bundle, key.signing, next()), bundle.bytes);
      const ok = performance.now();
      if (r.status !== 201) throw new Error(`${strategy} deploy ${n}: HTTP ${r.status} ${r.body}`);
      const seen = await seenAt(client, n, 30_000);
      // Deploy 0 only fills the folder (a first deploy to an empty folder is not what is measured).
      if (n === 0) continue;
      afterOk.push(seen - ok);
      postToSeen.push(seen - t0);
    }
  } finally {
    client.close();
    await rx.stop();
    // The next strategy gets its own live folder: this one is the receiver's, and it is stopped now.
    execFileSync('rm', ['-rf', gw.liveDir]);
  }
  return { afterOk, postToSeen };
}

async function main(): Promise<void> {
  const work = await tempDir('skill-sync-bench-gw-');
  const gw = await startGateway();
  const key = benchKey();
  const figures: Figure[] = [];
  try {
    const { debounce, stability } = gatewayFloorMs(gw.entry);
    const floor = debounce + stability;
    figures.push({ metric: 'gateway.floor', value: floor, unit: 'ms' });

    // Why the receiver asks over the WebSocket and not through the CLI: what one answer costs each way.
    const rpc: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      const c = await gw.connect();
      await c.skillsStatus();
      c.close();
      // The first answer after start builds the gateway's snapshot: not what a deploy pays.
      if (i > 0) rpc.push(performance.now() - t);
    }
    figures.push({
      metric: 'gateway.rpc.connect+status.p50',
      value: round(percentile(rpc, 50), 1),
      unit: 'ms',
    });
    const cli = performance.now();
    execFileSync(gw.node, [gw.entry, 'skills', 'list', '--json'], { env: gw.cliEnv, stdio: 'ignore' });
    figures.push({
      metric: 'gateway.cli.skills-list',
      value: Math.round(performance.now() - cli),
      unit: 'ms',
    });

    for (const strategy of STRATEGIES) {
      const { afterOk, postToSeen } = await run(strategy, gw, key, work);
      const p50 = round(percentile(afterOk, 50), 1);
      const p99 = round(percentile(afterOk, 99), 1);
      figures.push(
        {
          metric: `gateway.${strategy}.201-to-served.p50`,
          value: p50,
          unit: 'ms',
          baseline: floor,
          ratio: round(p50 / floor),
        },
        {
          metric: `gateway.${strategy}.201-to-served.p99`,
          value: p99,
          unit: 'ms',
          baseline: floor,
          ratio: round(p99 / floor),
        },
        {
          metric: `gateway.${strategy}.post-to-served.p50`,
          value: round(percentile(postToSeen, 50), 1),
          unit: 'ms',
        },
      );
    }
  } finally {
    await gw.stop();
  }
  printFigures(figures);
  await writeBenchJson('gateway', figures);
}

await main();
