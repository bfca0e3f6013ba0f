// Runs one SYNC.json generator safely: temp output next to the real file, timeout that kills the whole process
// group, and rename into place only on exit 0 with non-empty output, so a failure leaves the old file untouched.
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fsyncDir, fsyncPath, tempName } from '../fsutil.js';
import { outputProblem } from './confine.js';
import type { SyncManifest } from './sync-manifest.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Enough stderr to diagnose; a generator that prints megabytes must not flood the CLI or its memory. */
const STDERR_KEEP = 16 * 1024;

export interface GenerateOptions {
  skillDir: string;
  manifest: SyncManifest;
  stateDb: string;
  timeoutMs?: number;
  /**
   * Where the output may go: checked again right before the folder is made and before the rename, after
   * resolving symlinks, since the tree may have changed since validation (a generator can plant a symlink).
   */
  confine: { dataRoot: string; protectedPaths: readonly string[] };
  /** Command line that runs this same skill-sync (node + script), exposed to generators as `skill-sync` on PATH. */
  selfCommand?: string[];
}

export interface GenerateResult {
  ok: boolean;
  outputFile: string;
  bytes?: number;
  exitCode?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  /** Stable code of the failure, e.g. `sync/generator-failed`. */
  code?: string;
  error?: string;
  /** Tail of the generator's stderr (on failure). */
  stderr?: string;
}

/** A folder holding a `skill-sync` shim that re-runs this CLI with the same node, so PATH lookups find us. */
async function shimDir(selfCommand: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-bin-'));
  const quoted = selfCommand.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  await writeFile(path.join(dir, 'skill-sync'), `#!/bin/sh\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  return dir;
}

/**
 * What a generator inherits: PATH, HOME, the locale and the time zone, and SYNC_* — nothing else. Generators are
 * skill code; the CLI's environment may hold the receiver's secrets (docs/security.md).
 */
export function generatorEnv(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) {
    if (v === undefined) continue;
    if (k === 'PATH' || k === 'HOME' || k === 'LANG' || k === 'LANGUAGE' || k === 'TZ') env[k] = v;
    else if (k.startsWith('LC_') || k.startsWith('SYNC_')) env[k] = v;
  }
  return env;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: the group is already gone */
  }
}

export async function runGenerator(opts: GenerateOptions): Promise<GenerateResult> {
  const { manifest, skillDir } = opts;
  const outputFile = manifest.outputFile;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const confined = (): GenerateResult | undefined => {
    const problem = outputProblem(outputFile, opts.confine.dataRoot, opts.confine.protectedPaths);
    return problem && { ok: false, outputFile, code: problem.rule, error: problem.message };
  };
  const refused = confined();
  if (refused) return refused;
  await mkdir(path.dirname(outputFile), { recursive: true });
  const tmp = tempName(outputFile);
  const shim = opts.selfCommand ? await shimDir(opts.selfCommand) : undefined;
  const pathDirs = [
    shim,
    opts.selfCommand?.[1] ? path.dirname(opts.selfCommand[1]) : undefined,
    process.env.PATH,
  ];
  const env: NodeJS.ProcessEnv = {
    ...generatorEnv(process.env),
    SYNC_OUTPUT_FILE: tmp,
    SYNC_PATTERNS: manifest.patterns.join(','),
    SKILL_DIR: skillDir,
    STATE_DB: opts.stateDb,
    PATH: pathDirs.filter(Boolean).join(path.delimiter),
  };

  try {
    const run = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      timedOut: boolean;
      stderr: string;
      spawnError?: string;
    }>((resolve) => {
      let stderr = '';
      let timedOut = false;
      // detached: the generator leads its own process group, so a timeout can kill its children too.
      const child = spawn(path.resolve(skillDir, manifest.generator), [], {
        cwd: skillDir,
        env,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        stderr = (stderr + d).slice(-STDERR_KEEP);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGKILL');
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, timedOut, stderr, spawnError: err.message });
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        // Whatever the generator left running in its group is done for too: it would hold the temp file and
        // our stderr pipe open forever.
        killGroup(child.pid, 'SIGKILL');
        const done = (): void => resolve({ code, signal, timedOut, stderr });
        child.stderr.once('close', done);
        if (child.stderr.closed) done();
        // A descendant that left the group (setsid) could hold the pipe forever; stop listening after a grace.
        setTimeout(() => {
          child.stderr.destroy();
          done();
        }, 2000).unref();
      });
    });

    const fail = (code: string, error: string): GenerateResult => ({
      ok: false,
      outputFile,
      exitCode: run.code,
      signal: run.signal,
      timedOut: run.timedOut,
      code,
      error,
      ...(run.stderr.trim() ? { stderr: run.stderr.trim() } : {}),
    });
    if (run.spawnError)
      return fail(
        'sync/generator-spawn-failed',
        `cannot start generator '${manifest.generator}': ${run.spawnError}`,
      );
    if (run.timedOut)
      return fail(
        'sync/generator-timeout',
        `generator '${manifest.generator}' was killed after ${timeoutMs} ms`,
      );
    if (run.code !== 0)
      return fail(
        'sync/generator-failed',
        `generator '${manifest.generator}' ${run.code === null ? `died of ${run.signal}` : `exited with code ${run.code}`}`,
      );
    const st = await lstat(tmp).catch(() => undefined);
    if (!st)
      return fail(
        'sync/generator-no-output',
        `generator '${manifest.generator}' exited 0 but did not write $SYNC_OUTPUT_FILE`,
      );
    // A symlink here would be renamed into place and point the output anywhere.
    if (!st.isFile())
      return fail(
        'sync/generator-bad-output',
        `generator '${manifest.generator}' left something other than a regular file`,
      );
    if (st.size === 0)
      return fail(
        'sync/generator-empty-output',
        `generator '${manifest.generator}' exited 0 with empty output`,
      );
    const moved = confined();
    if (moved) return moved;
    await fsyncPath(tmp);
    await rename(tmp, outputFile);
    await fsyncDir(path.dirname(outputFile));
    return { ok: true, outputFile, bytes: st.size, exitCode: 0 };
  } finally {
    await rm(tmp, { force: true });
    if (shim) await rm(shim, { recursive: true, force: true });
  }
}
