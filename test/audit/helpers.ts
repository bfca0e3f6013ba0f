// Audit test helpers: temp data dirs, sample attempts, and a log object that captures every line for leak checks.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AuditInput, AuditLog } from '../../core/audit/index.js';

export async function tempDataDir(prefix = 'audit-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export function sha(n: number | string): string {
  return `sha256:${String(n).padStart(64, '0')}`;
}

export function deploy(
  id: string,
  skills: [string, string][] = [['alpha', '1.0.0']],
  extra: Partial<AuditInput> = {},
): AuditInput {
  return {
    deploymentId: id,
    trigger: 'webhook',
    status: 'success',
    durationMs: 42,
    repository: 'acme/skills',
    commit: 'a'.repeat(40),
    ref: 'refs/heads/main',
    serial: 1_700_000_000_000,
    bundleSha256: sha(id.length),
    skills: skills.map(([name, version]) => ({
      name,
      version,
      fingerprint: sha(`${name}-${version}`.replace(/\W/g, '')),
    })),
    ...extra,
  };
}

export interface CapturedLog extends AuditLog {
  lines: string[];
}

/** A pino-like logger that keeps everything it is given, serialized the way pino would write it. */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'skill-sync.js');

/** Runs `skill-sync audit` as a real process, with NEO4J_* and DATA_DIR only from `env`. */
export async function audit(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('NEO4J_') && k !== 'DATA_DIR'),
  );
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'audit', ...args], {
      env: { ...clean, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
