// Full-path test kit: git repos, receiver reads (/v1/state, /health, audit.jsonl) and CLI runs, on top of test/support.
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runAction, type ActionRun } from '../action/harness.js';
import { API_KEY, CLI, startReceiver, type ReceiverProcess } from '../support/receiver.js';
import type { TestKey } from '../support/release.js';

export interface LiveSkill {
  name: string;
  version: string;
  fingerprint: string;
}

export interface LiveState {
  deploymentId: string | null;
  serial: number | null;
  digest: string | null;
  commit?: string;
  ref?: string;
  skills: LiveSkill[];
}

export interface AuditLine {
  deploymentId: string;
  status: string;
  trigger: string;
  serial?: number;
  bundleSha256?: string;
  commit?: string;
  skills?: LiveSkill[];
  error?: string;
  reason?: string;
}

/** Every process-backed thing a test file started, stopped in afterAll. */
export class Cleanup {
  private readonly fns: (() => Promise<unknown>)[] = [];
  add<T>(fn: () => Promise<T>): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    await Promise.allSettled(
      this.fns
        .splice(0)
        .reverse()
        .map((f) => f()),
    );
  }
}

/** A receiver that trusts `key`, with the test API key; stopped by `cleanup`. */
export async function receiverFor(
  key: TestKey,
  cleanup: Cleanup,
  opts: { dataDir?: string; env?: Record<string, string | undefined> } = {},
): Promise<ReceiverProcess> {
  const rx = await startReceiver({
    dataDir: opts.dataDir,
    env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, ...opts.env },
  });
  cleanup.add(() => rx.stop());
  return rx;
}

export function skillsDir(rx: ReceiverProcess): string {
  return path.join(rx.dataDir, 'skills');
}

export async function liveState(rx: ReceiverProcess): Promise<LiveState> {
  const res = await fetch(`${rx.url}/v1/state`, { headers: { 'x-api-key': API_KEY } });
  if (res.status !== 200) throw new Error(`/v1/state answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as LiveState;
}

export interface Health {
  live: { deploymentId: string; serial: number; digest: string; commit: string } | null;
  lastDeployment: { id: string; status: string; trigger: string; serial?: number } | null;
  recentDeployments: unknown[];
}

export async function health(rx: ReceiverProcess): Promise<Health> {
  return (await (await fetch(`${rx.url}/health`)).json()) as Health;
}

/** The receiver's JSONL audit trail; [] when the file does not exist yet. */
export async function auditLines(dataDir: string): Promise<AuditLine[]> {
  const text = await readFile(path.join(dataDir, 'skill-sync', 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditLine);
}

/** Runs the dist Action as a push that deploys `path` of `workspace` to the given receivers, no release. */
export function pushDeploy(
  workspace: string,
  receivers: ReceiverProcess[],
  key: TestKey,
  extra: {
    inputs?: Record<string, string>;
    env?: Record<string, string>;
    event?: string;
    eventPayload?: unknown;
  } = {},
): Promise<ActionRun> {
  return runAction({
    workspace,
    event: extra.event ?? 'push',
    eventPayload: extra.eventPayload,
    env: extra.env,
    inputs: {
      path: 'skills',
      'receiver-url': receivers.map((r) => r.url).join('\n'),
      'signing-key': key.privateKeyPem,
      release: 'false',
      'github-token': '',
      ...extra.inputs,
    },
  });
}

/** What went wrong in an Action run, for assertion messages. */
export function actionLog(run: ActionRun): string {
  return `exit ${run.code}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI as a process (async, so servers in this process keep answering). */
export function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `skill-sync validate <dir> --json`: the names, versions and fingerprints the CLI reports. */
export async function validateJson(dir: string): Promise<LiveSkill[]> {
  const r = await cli(['validate', dir, '--json']);
  if (r.code !== 0) throw new Error(`validate failed (${r.code}): ${r.stdout}${r.stderr}`);
  const body = JSON.parse(r.stdout) as { skills: LiveSkill[] };
  return body.skills.map(({ name, version, fingerprint }) => ({ name, version, fingerprint }));
}

export const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** git in a throwaway repo (never the project's), with a fixed identity. */
export function git(repo: string, ...args: string[]): string {
  const r = spawnSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      GIT_AUTHOR_NAME: 'e2e',
      GIT_AUTHOR_EMAIL: 'e2e@example.com',
      GIT_COMMITTER_NAME: 'e2e',
      GIT_COMMITTER_EMAIL: 'e2e@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Polls `check` until it returns a value that is not undefined; fails with `what` and the last value seen. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  describe: () => string = () => '',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
