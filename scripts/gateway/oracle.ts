// The pinned OpenClaw gateway as an oracle: which skills it loads from a folder, asked through `skills list --json`.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Placement } from '../../core/gateway/discovery.js';
import type { GatewayRuntime } from './runtime.js';

export { gatewayRuntime, type GatewayRuntime } from './runtime.js';

const run = promisify(execFile);
export interface ListedSkill {
  name: string;
  description: string;
  source: string;
  bundled: boolean;
}

export interface GatewayAnswer {
  skills: ListedSkill[];
  /** `Skipping invalid skill: file=… error=…` lines: the gateway's own reason, by SKILL.md path below HOME. */
  skipped: { file: string; reason: string }[];
  /** The managed skills folder of the temp state (where `managed` placement puts the tree). */
  managedSkillsDir: string;
}

export interface GatewayState {
  /** OPENCLAW_STATE_DIR and HOME of the run. */
  dir: string;
  /** `<dir>/skills`: the gateway's managed skills folder. */
  managedDir: string;
  /** A folder for trees handed over as `skills.load.extraDirs`. */
  extraBase: string;
}

/** A fresh, empty gateway state (no network is needed to list skills). */
export async function newGatewayState(): Promise<GatewayState> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oc-oracle-'));
  const managedDir = path.join(dir, 'skills');
  const extraBase = path.join(dir, 'extra');
  await mkdir(managedDir, { recursive: true });
  await mkdir(extraBase, { recursive: true });
  return { dir, managedDir, extraBase };
}

export async function removeGatewayState(state: GatewayState): Promise<void> {
  await rm(state.dir, { recursive: true, force: true });
}

const ANSI = /\u001b\[[0-9;]*m/g;
const SKIPPED = /Skipping invalid skill: file=(\S+) error=(.*)$/;

/**
 * Asks the gateway what it loads with `extraDirs` as `skills.load.extraDirs` (the `extra` placement); whatever is
 * in `state.managedDir` is the `managed` placement. One call takes a few seconds (the CLI's start-up).
 */
export async function askGateway(
  rt: GatewayRuntime,
  state: GatewayState,
  extraDirs: string[] = [],
): Promise<GatewayAnswer> {
  await writeFile(
    path.join(state.dir, 'openclaw.json'),
    JSON.stringify({ skills: { load: { extraDirs } } }, null, 2),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: state.dir,
    OPENCLAW_STATE_DIR: state.dir,
    NO_COLOR: '1',
  };
  const { stdout, stderr } = await run(rt.node, [rt.entry, 'skills', 'list', '--json'], {
    env,
    cwd: state.dir,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  const json = JSON.parse(stdout) as { managedSkillsDir: string; skills: ListedSkill[] };
  const skipped: GatewayAnswer['skipped'] = [];
  for (const line of stderr.replace(ANSI, '').split('\n')) {
    const m = SKIPPED.exec(line);
    if (m) skipped.push({ file: (m[1] as string).replace(/^~\//, ''), reason: (m[2] as string).trim() });
  }
  return {
    skills: json.skills.map(({ name, description, source, bundled }) => ({
      name,
      description,
      source,
      bundled,
    })),
    skipped,
    managedSkillsDir: json.managedSkillsDir,
  };
}

/** The gateway source name each placement's skills carry in `skills list`. */
export const SOURCE_OF: Record<Placement, string> = { managed: 'openclaw-managed', extra: 'openclaw-extra' };
