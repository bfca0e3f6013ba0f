// Load and soak: bad-signature POST storm vs /health latency and RSS; 500 sequential deploys vs leaked files and fds.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/load.js [--quick]   (BENCH_JSON=out.json; exits 1 on a miss)
import { inspect as show } from 'node:util';
import { mkdir, readdir, readFile, readlink, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  benchKey,
  fdCount,
  packTree,
  percentile,
  postDeployment,
  printFigures,
  procStatusKb,
  request,
  round,
  sampleRss,
  serials,
  sleep,
  startReceiver,
  signRelease,
  tempDir,
  writeBenchJson,
  writeSkillTree,
  type BenchKey,
  type Bundle,
  type Figure,
  type Receiver,
} from './support.js';

const quick = process.argv.includes('--quick');
const BAD_POSTS = quick ? 200 : 1000;
const POST_RPS = 200;
const HEALTH_RPS = 20;
const DEPLOYS = quick ? 100 : 500;
const KEEP_RELEASES = 10;
const HEALTH_P99_TARGET_MS = 100;
const RSS_TARGET_MB = 20;
const FD_SLACK = 4;
const STRATEGIES = ['in-place', 'symlink'] as const;

const mb = (kb: number) => (kb * 1024) / 1e6;

/** Polls GET /health at `rps` on one kept-alive connection until stopped; returns each latency in ms. */
function pollHealth(url: string, rps: number): { stop(): Promise<{ ms: number[]; bad: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms: number[] = [];
  let bad = 0;
  let done = false;
  const loop = (async () => {
    const t0 = performance.now();
    for (let i = 0; !done; i++) {
      const wait = t0 + (i * 1000) / rps - performance.now();
      if (wait > 0) await sleep(wait);
      if (done) break;
      try {
        const r = await request(`${url}/health`, { agent, timeoutMs: 10_000 });
        if (r.status === 200) ms.push(r.ms);
        else bad++;
      } catch {
        bad++;
      }
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      agent.destroy();
      return { ms, bad };
    },
  };
}

/** Open-loop: fires `count` requests at `rps` whatever the responses do (at most 500 in flight), then waits. */
async function storm(
  count: number,
  rps: number,
  fire: () => Promise<number>,
): Promise<{ statuses: Map<number, number>; seconds: number }> {
  const statuses = new Map<number, number>();
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const deadline = t0 + (count / rps) * 1000 + 60_000;
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rps - performance.now();
    if (wait > 0) await sleep(wait);
    while (pending.size >= 500) await Promise.race(pending);
    if (performance.now() > deadline) throw new Error('storm overran its time budget');
    const p: Promise<void> = fire()
      .catch(() => -1)
      .then((status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all(pending);
  return { statuses, seconds: (performance.now() - t0) / 1000 };
}

async function badSignatureStorm(small: Bundle, key: BenchKey, work: string): Promise<Figure[]> {
  const dataDir = path.join(work, 'data-storm');
  await mkdir(dataDir);
  const rx = await startReceiver({ dataDir, publicKeys: key.publicKeys });
  try {
    const next = serials();
    const ok = await postDeployment(rx.url, signRelease(small, key.signing, next()), small.bytes);
    if (ok.status !== 201) throw new Error(`initial deploy: HTTP ${ok.status} ${ok.body}`);
    // A validly shaped envelope for a newer serial, with one bit of the signature flipped.
    const envelope = JSON.parse(
      Buffer.from(signRelease(small, key.signing, next()), 'base64').toString('utf8'),
    ) as { signatures: { sig: string }[] };
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    sig[5] = (sig[5] as number) ^ 0x01;
    envelope.signatures[0]!.sig = sig.toString('base64');
    const bad = Buffer.from(JSON.stringify(envelope)).toString('base64');
    const fire = async () => (await postDeployment(rx.url, bad, small.bytes)).status;
    // Sanity: the forged header decodes the way the receiver expects (it is refused for the signature).
    const probe = await postDeployment(rx.url, bad, small.bytes);
    if (probe.status !== 401) throw new Error(`forged envelope got HTTP ${probe.status}: ${probe.body}`);

    // Warm-up: the same traffic briefly, so JIT and pools settle before the baseline readings.
    const warmHealth = pollHealth(rx.url, HEALTH_RPS);
    await storm(Math.min(200, BAD_POSTS), POST_RPS, fire);
    await warmHealth.stop();
    await sleep(2000);

    const idle = pollHealth(rx.url, HEALTH_RPS);
    await sleep(quick ? 2000 : 5000);
    const idleMs = (await idle.stop()).ms;
    const rssBefore = await procStatusKb(rx.pid, 'VmRSS');

    const rss = sampleRss(rx.pid, 50);
    const health = pollHealth(rx.url, HEALTH_RPS);
    const { statuses, seconds } = await storm(BAD_POSTS, POST_RPS, fire);
    const polled = await health.stop();
    const rssPeak = await rss.stop();
    await sleep(2000);
    const rssAfter = await procStatusKb(rx.pid, 'VmRSS');

    const refused = statuses.get(401) ?? 0;
    const p99 = percentile(polled.ms, 99);
    const idleP99 = percentile(idleMs, 99);
    const growth = mb(rssAfter - rssBefore);
    process.stdout.write(
      `storm: ${BAD_POSTS} bad-signature POSTs in ${seconds.toFixed(1)} s (${(BAD_POSTS / seconds).toFixed(0)} rps), ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}; /health ${polled.ms.length} polls ` +
        `(${polled.bad} failed), p50 ${percentile(polled.ms, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms ` +
        `(idle p99 ${idleP99.toFixed(1)} ms); RSS ${mb(rssBefore).toFixed(1)} → peak ${mb(rssPeak).toFixed(1)} → ` +
        `${mb(rssAfter).toFixed(1)} MB after 2 s\n`,
    );
    return [
      {
        metric: 'bad-signature.not-refused-401',
        value: BAD_POSTS - refused,
        unit: 'requests',
        target: 0,
        met: refused === BAD_POSTS,
      },
      {
        metric: 'bad-signature.health-p99',
        value: round(p99, 1),
        unit: 'ms',
        baseline: round(idleP99, 1),
        ratio: round(p99 / idleP99),
        target: HEALTH_P99_TARGET_MS,
        met: p99 <= HEALTH_P99_TARGET_MS && polled.bad === 0,
      },
      {
        metric: 'bad-signature.rss-growth',
        value: round(growth, 1),
        unit: 'MB',
        target: RSS_TARGET_MB,
        met: growth <= RSS_TARGET_MB,
      },
      { metric: 'bad-signature.rss-peak-growth', value: round(mb(rssPeak - rssBefore), 1), unit: 'MB' },
    ];
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Every entry under dir (not following symlinks), relative to dir; folders end with `/`. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(`${p}/`, ...(await walk(dir, p)));
    else out.push(p);
  }
  return out;
}

const TEMP_NAME = /\.tmp-\d+-[0-9a-f]+$/;
const EXPECTED_ROOT =
  /^(releases|staging|tmp|state\.json|audit(\.\d+)?\.jsonl|audit-shipper\.json|poller\.json)$/;

/** Leftovers after a soak: kept releases vs state.json, staging/tmp/temp names, the journal, the lock, live extras. */
async function inspect(
  rx: Receiver,
  strategy: string,
  last: Set<string>,
): Promise<{ releases: number; leaks: string[] }> {
  const root = path.join(rx.dataDir, 'skill-sync');
  const state = JSON.parse(await readFile(path.join(root, 'state.json'), 'utf8')) as {
    releases: { deploymentId: string }[];
    live: { deploymentId: string } | null;
  };
  const releases = await readdir(path.join(root, 'releases'));
  const kept = new Set(state.releases.map((r) => r.deploymentId));
  const leaks: string[] = [];
  for (const r of releases) if (!kept.has(r)) leaks.push(`releases/${r} (not in state.json)`);
  for (const d of ['staging', 'tmp'])
    for (const n of await readdir(path.join(root, d))) leaks.push(`${d}/${n}`);
  for (const n of await readdir(root)) if (!EXPECTED_ROOT.test(n)) leaks.push(`skill-sync/${n}`);
  for (const p of await walk(rx.dataDir)) if (TEMP_NAME.test(p.replace(/\/$/, ''))) leaks.push(p);
  // The live tree holds exactly the last bundle's files (in-place) or is the link to its release (symlink).
  const live = path.join(rx.dataDir, 'skills');
  if (strategy === 'in-place') {
    const dirs = new Set<string>();
    for (const f of last) {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/') + '/');
    }
    for (const p of await walk(live))
      if (!last.has(p) && !dirs.has(p)) leaks.push(`skills/${p} (not in the last bundle)`);
  } else {
    const target = path.resolve(path.dirname(live), await readlink(live));
    const want = path.join(root, 'releases', state.live?.deploymentId ?? '(none)', 'skills');
    if (target !== want) leaks.push(`skills -> ${target} (live is ${want})`);
  }
  return { releases: releases.length, leaks };
}

async function soak(
  strategy: (typeof STRATEGIES)[number],
  bundles: [Bundle, Bundle],
  files: [Set<string>, Set<string>],
  key: BenchKey,
  work: string,
): Promise<Figure[]> {
  const dataDir = path.join(work, `data-soak-${strategy}`);
  await mkdir(dataDir);
  const rx = await startReceiver({
    dataDir,
    publicKeys: key.publicKeys,
    env: { DEPLOY_STRATEGY: strategy, KEEP_RELEASES: String(KEEP_RELEASES) },
  });
  try {
    const next = serials();
    let firstError = '';
    const deploy = async (i: number) => {
      const bundle = bundles[i % 2] as Bundle;
      const r = await postDeployment(rx.url, signRelease(bundle, key.signing, next()), bundle.bytes);
      if (r.status !== 201) firstError ||= `deploy ${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`;
      return r;
    };
    for (const i of [0, 1])
      if ((await deploy(i)).status !== 201) throw new Error(`${strategy} warm-up ${firstError}`);
    await sleep(500);
    const fdBefore = await fdCount(rx.pid);
    const t0 = performance.now();
    const times: number[] = [];
    let ok = 0;
    for (let i = 0; i < DEPLOYS; i++) {
      const r = await deploy(i);
      times.push(r.ms);
      if (r.status === 201) ok++;
    }
    const seconds = (performance.now() - t0) / 1000;
    await sleep(1000);
    const fdAfter = await fdCount(rx.pid);
    const { releases, leaks } = await inspect(rx, strategy, files[(DEPLOYS - 1) % 2] as Set<string>);
    process.stdout.write(
      `soak ${strategy}: ${ok}/${DEPLOYS} deploys in ${seconds.toFixed(1)} s (p50 ${percentile(times, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(0)} ms); releases kept ${releases}; fds ${fdBefore} → ${fdAfter}; ` +
        `leaks: ${leaks.length ? leaks.slice(0, 10).join(', ') : 'none'}${firstError ? `; first failure: ${firstError}` : ''}\n`,
    );
    return [
      {
        metric: `soak.${strategy}.failed-deploys`,
        value: DEPLOYS - ok,
        unit: 'deploys',
        target: 0,
        met: ok === DEPLOYS,
      },
      {
        metric: `soak.${strategy}.releases-kept`,
        value: releases,
        unit: 'releases',
        target: KEEP_RELEASES,
        met: releases <= KEEP_RELEASES,
      },
      {
        metric: `soak.${strategy}.leaked-entries`,
        value: leaks.length,
        unit: 'entries',
        target: 0,
        met: leaks.length === 0,
      },
      {
        metric: `soak.${strategy}.fd-growth`,
        value: fdAfter - fdBefore,
        unit: 'fds',
        baseline: fdBefore,
        target: FD_SLACK,
        met: fdAfter - fdBefore <= FD_SLACK,
      },
    ];
  } finally {
    await rx.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const work = await tempDir('skill-sync-bench-load-');
const figures: Figure[] = [];
let failed: unknown;
try {
  const key = benchKey();
  const trees: [string, string] = [path.join(work, 'src-a'), path.join(work, 'src-b')];
  const small = { skills: 5, skillMd: [1_000, 3_000] as [number, number], references: 1 };
  await writeSkillTree(trees[0], { ...small, variant: 'a' });
  await writeSkillTree(trees[1], { ...small, variant: 'b' });
  const bundles: [Bundle, Bundle] = [
    await packTree(trees[0], path.join(work, 'a.tar.gz')),
    await packTree(trees[1], path.join(work, 'b.tar.gz')),
  ];
  const files: [Set<string>, Set<string>] = [
    new Set((await walk(trees[0])).filter((p) => !p.endsWith('/'))),
    new Set((await walk(trees[1])).filter((p) => !p.endsWith('/'))),
  ];
  figures.push(...(await badSignatureStorm(bundles[0], key, work)));
  for (const s of STRATEGIES) figures.push(...(await soak(s, bundles, files, key, work)));
} catch (err) {
  failed = err;
} finally {
  await rm(work, { recursive: true, force: true });
}
printFigures(figures);
await writeBenchJson('load', figures);
if (failed) {
  process.stderr.write(`load bench failed: ${failed instanceof Error ? failed.message : show(failed)}\n`);
  process.exitCode = 2;
} else if (figures.some((f) => f.met === false)) process.exitCode = 1;
