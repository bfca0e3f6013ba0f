// `npm run demo`: keygen → real receiver → built Action (push) → edit and redeploy → refused secret → rollback.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { base62Crc32 } from '../core/secrets/checksum.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin', 'skill-sync.js');
const DIST = path.join(ROOT, 'dist', 'index.js');
const t0 = Date.now();
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let stepNo = 0;
const step = (title: string) => console.log(`\n${bold(`[${++stepNo}/8] ${title}`)}`);
const say = (s = '') => console.log(s ? `      ${s}` : '');

/** Async on purpose: the stand-in gateway lives in this process and must keep answering health checks. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function git(repo: string, ...args: string[]) {
  const r = spawnSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'demo',
      GIT_AUTHOR_EMAIL: 'demo@example.com',
      GIT_COMMITTER_NAME: 'demo',
      GIT_COMMITTER_EMAIL: 'demo@example.com',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A stand-in gateway: counts reloads and answers health checks, like OpenClaw on :18789 would. */
async function startGateway() {
  const calls = { reload: 0, health: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/reload') calls.reload++;
    else calls.health++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => server.close(),
  };
}

async function startReceiver(dataDir: string, env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, [CLI, 'receiver'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SYNC_DATA_ROOT: '/data', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the receiver did not start in 60 s: ${log.split('\n').slice(-3).join(' ')}`));
    }, 60_000);
    proc.stdout.on('data', () => {
      const m = /"port":(\d+)[^\n]*"msg":"receiver listening"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) =>
      reject(new Error(`the receiver exited (${code}): ${log.split('\n').slice(-3).join(' ')}`)),
    );
  });
  const exited = new Promise((r) => proc.on('exit', r));
  return { url: `http://127.0.0.1:${port}`, port, stop: async () => (proc.kill('SIGTERM'), await exited) };
}

interface ActionResult {
  code: number;
  outputs: Record<string, string>;
  annotations: string[];
  summary: string;
}

/** Runs the committed dist/index.js the way the GitHub runner does: INPUT_* and GITHUB_* variables. */
async function runAction(
  repo: string,
  work: string,
  inputs: Record<string, string>,
  event = 'push',
): Promise<ActionResult> {
  const out = path.join(work, `out-${randomBytes(3).toString('hex')}`);
  await mkdir(out, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event,
    GITHUB_REPOSITORY: 'demo/skills',
    GITHUB_SHA: git(repo, 'rev-parse', 'HEAD'),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKSPACE: repo,
    GITHUB_OUTPUT: path.join(out, 'output'),
    GITHUB_STEP_SUMMARY: path.join(out, 'summary.md'),
    RUNNER_TEMP: out,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  await writeFile(env.GITHUB_OUTPUT!, '');
  await writeFile(env.GITHUB_STEP_SUMMARY!, '');
  const r = await run(process.execPath, [DIST], { env, cwd: repo });
  const outputs: Record<string, string> = {};
  const text = await readFile(env.GITHUB_OUTPUT!, 'utf8');
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
  const annotations = r.stdout.split('\n').filter((l) => /^::(error|warning)/.test(l));
  return { code: r.code, outputs, annotations, summary: await readFile(env.GITHUB_STEP_SUMMARY!, 'utf8') };
}

async function liveTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (e.isDirectory()) out.push(...(await liveTree(path.join(dir, e.name), `${prefix}${e.name}/`)));
    else out.push(prefix + e.name);
  }
  return out;
}

type LiveSkill = { name: string; version: string; fingerprint: string };
async function liveSkills(url: string, apiKey: string): Promise<Map<string, LiveSkill>> {
  const res = await fetch(`${url}/v1/state`, { headers: { 'x-api-key': apiKey } });
  const body = (await res.json()) as { skills: LiveSkill[] };
  return new Map(body.skills.map((s) => [s.name, s]));
}

async function main(): Promise<void> {
  console.log(
    bold('skill-sync demo: a skills repo → the built Action → a signed bundle → a real local receiver'),
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-demo-'));
  const repo = path.join(work, 'skills-repo');
  const dataDir = path.join(work, 'data');
  const apiKey = randomBytes(16).toString('hex');
  const gateway = await startGateway();
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  try {
    step('Generate an Ed25519 key pair (skill-sync keygen)');
    const keys = await run(process.execPath, [CLI, 'keygen', '--out', path.join(work, 'keys')]);
    if (keys.code !== 0) throw new Error(`keygen failed: ${keys.stderr.trim()}`);
    const publicKeys = /SKILL_SYNC_PUBLIC_KEYS=(\S+)/.exec(keys.stdout)?.[1];
    if (!publicKeys) throw new Error('keygen printed no public key');
    const signingKey = await readFile(path.join(work, 'keys', 'skill-sync.key'), 'utf8');
    say(
      `private key → ${path.join(work, 'keys', 'skill-sync.key')} (the repo secret SKILL_SYNC_SIGNING_KEY)`,
    );
    say(
      `public key  → SKILL_SYNC_PUBLIC_KEYS=${publicKeys.slice(0, 20)}… (the receiver's only key material)`,
    );

    step('Start the receiver on 127.0.0.1 with a temp data dir');
    receiver = await startReceiver(dataDir, {
      SKILL_SYNC_PUBLIC_KEYS: publicKeys,
      MANUAL_SYNC_API_KEY: apiKey,
      RELOAD_URL: `${gateway.url}/reload`,
      HEALTHCHECK_URL: `${gateway.url}/healthz`,
    });
    say(`receiver ${receiver.url}, data ${dataDir}, stand-in gateway ${gateway.url}`);

    step('Run the built Action (dist/index.js) on examples/skills as a push to main');
    await cp(path.join(ROOT, 'examples', 'skills'), path.join(repo, 'skills'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'skills');
    const inputs = {
      path: 'skills',
      'receiver-url': receiver.url,
      'signing-key': signingKey,
      release: 'false',
      'github-token': '',
    };
    const first = await runAction(repo, work, inputs);
    if (first.code !== 0) throw new Error(`the Action failed:\n${first.annotations.join('\n')}`);
    const o = first.outputs;
    say(`skills-count=${o['skills-count']}  invalid-count=${o['invalid-count']}  serial=${o.serial}`);
    say(`bundle-digest=${o['bundle-digest']}`);
    say(`deployment-id=${o['deployment-id']}`);

    step('Deployment result: the live tree and /health');
    for (const f of await liveTree(path.join(dataDir, 'skills'))) say(`skills/${f}`);
    const health = (await (await fetch(`${receiver.url}/health`)).json()) as {
      status: string;
      skills: { count: number };
      lastDeployment: { status: string; trigger: string; durationMs: number };
    };
    say(
      `/health: ${health.status}; ${health.skills.count} skills; last deployment ${health.lastDeployment.status} ` +
        `via ${health.lastDeployment.trigger} in ${health.lastDeployment.durationMs} ms; gateway reloads: ${gateway.calls.reload}`,
    );

    step('Edit one skill, deploy again: the diff and the audit history');
    const before = await liveSkills(receiver.url, apiKey);
    const skillMd = path.join(repo, 'skills', 'web-research', 'SKILL.md');
    const text = await readFile(skillMd, 'utf8');
    await writeFile(
      skillMd,
      text.replace(/^version: .*$/m, 'version: 1.3.0') + '\n## New in 1.3.0\n\nCite at least two sources.\n',
    );
    git(repo, 'commit', '-qam', 'web-research 1.3.0');
    const second = await runAction(repo, work, inputs);
    if (second.code !== 0) throw new Error(`the Action failed:\n${second.annotations.join('\n')}`);
    const after = await liveSkills(receiver.url, apiKey);
    for (const [name, s] of after) {
      const was = before.get(name);
      if (!was) say(`+ ${name} ${s.version}`);
      else if (was.fingerprint !== s.fingerprint)
        say(
          `~ ${name} ${was.version} → ${s.version} (${was.fingerprint.slice(0, 8)} → ${s.fingerprint.slice(0, 8)})`,
        );
    }
    for (const name of before.keys()) if (!after.has(name)) say(`- ${name}`);
    say('audit (skill-sync audit --limit 5):');
    const audit = await run(process.execPath, [CLI, 'audit', '--data-dir', dataDir, '--limit', '5']);
    for (const line of audit.stdout.trim().split('\n')) say(`  ${line}`);

    step('Plant a fake GitHub token in a skill: the deploy is refused, the finding redacted');
    const token = fakeGitHubToken();
    await writeFile(
      skillMd,
      `${await readFile(skillMd, 'utf8')}\nUse the token ${token} for higher rate limits.\n`,
    );
    git(repo, 'commit', '-qam', 'oops: a token');
    const third = await runAction(repo, work, inputs);
    say(`the Action exited ${third.code}; annotations:`);
    for (const a of third.annotations.slice(0, 3)) say(`  ${a.length > 160 ? `${a.slice(0, 157)}…` : a}`);
    const leaked = [third.summary, ...third.annotations].some((t) => t.includes(token));
    say(
      `full token printed anywhere: ${leaked ? 'YES (bug!)' : 'no'}; live serial unchanged: ${
        ((await liveSkills(receiver.url, apiKey)).get('web-research')?.version ?? '?') === '1.3.0'
          ? 'yes'
          : 'no'
      }`,
    );
    git(repo, 'revert', '--no-edit', 'HEAD');

    step('Roll back to the previous release (skill-sync rollback)');
    const rb = await run(process.execPath, [CLI, 'rollback', '--url', receiver.url], {
      env: { MANUAL_SYNC_API_KEY: apiKey },
    });
    say(rb.stdout.trim() || rb.stderr.trim());
    say(
      `web-research is live at ${(await liveSkills(receiver.url, apiKey)).get('web-research')?.version} again`,
    );

    step('Stop everything');
    await receiver.stop();
    receiver = undefined;
    say(`receiver stopped; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await receiver?.stop();
    gateway.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** A token in GitHub's format (with a valid checksum) that was never issued: the scanner must catch it. */
function fakeGitHubToken(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const body = Array.from(randomBytes(30), (b) => alphabet[b % 62]).join('');
  return `ghp_${body}${base62Crc32(body)}`;
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
