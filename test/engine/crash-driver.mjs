// Crash-safety driver: opens the compiled engine on a data dir (that is the recovery), optionally applies a
// prepared bundle tree, and prints a JSON line. SKILL_SYNC_CRASH_AT makes the engine SIGKILL itself mid-way.
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modulePath = process.env.ENGINE_MODULE
  ? pathToFileURL(process.env.ENGINE_MODULE).href
  : new URL('../../lib/receiver/engine/index.js', import.meta.url).href;
const { Engine } = await import(modulePath);

/** job: {dataDir, skillsDir, strategy, healthUrl?, apply?: {src, meta}} */
const job = JSON.parse(process.argv[2]);
const engine = await Engine.open({
  dataDir: job.dataDir,
  skillsDir: job.skillsDir,
  strategy: job.strategy,
  keepReleases: job.keepReleases ?? 2,
  health: job.healthUrl ? { url: job.healthUrl, timeoutMs: 2000, retries: 0, intervalMs: 1 } : undefined,
});
const out = { recoveredLive: engine.live()?.deploymentId ?? null };
if (job.apply) {
  const staging = await engine.newStaging();
  await cp(job.apply.src, staging, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(staging, 'skill-sync.json'), 'utf8'));
  const result = await engine.exclusive(() => engine.apply(staging, manifest, job.apply.meta));
  out.status = result.status;
  out.live = result.live?.deploymentId ?? null;
  out.verify = await engine.verifyLive();
}
await engine.close();
process.stdout.write(JSON.stringify(out) + '\n');
