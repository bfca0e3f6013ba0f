// The receiver's Hono app wired as receiver/main.ts wires it, over a temp data dir, driven by app.request().
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { AuditTrail } from '../../core/audit/index.js';
import { parseVerifyKeys } from '../../core/envelope/index.js';
import { createApp } from '../../receiver/app.js';
import { loadConfig } from '../../receiver/config.js';
import { Deployer } from '../../receiver/deployer.js';
import { Engine } from '../../receiver/engine/index.js';
import { createMetrics } from '../../receiver/metrics.js';
import type { Poller } from '../../receiver/poller/index.js';

export const API_KEY = 'unit-api-key-0123456789';

export interface AppUnderTest {
  app: ReturnType<typeof createApp>;
  dataDir: string;
  skillsDir: string;
  close(): Promise<void>;
}

/**
 * No process and no socket: the routes, their statuses and codes, over the real engine, audit and deployer.
 * `poller` is a stand-in for the GitHub poller, which has its own tests in test/poller/.
 */
export async function appUnderTest(
  env: Record<string, string | undefined>,
  opts: { poller?: Pick<Poller, 'pollNow' | 'status'> } = {},
): Promise<AppUnderTest> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-unit-'));
  const cfg = loadConfig({ DATA_DIR: dataDir, MANUAL_SYNC_API_KEY: API_KEY, ...env });
  const log = pino({ level: 'silent' });
  const metrics = createMetrics();
  const engine = await Engine.open({
    dataDir: cfg.dataDir,
    skillsDir: cfg.skillsDir,
    strategy: cfg.strategy,
    keepReleases: cfg.keepReleases,
    reload: {},
    health: { timeoutMs: 1000, retries: 0, intervalMs: 0 },
    log,
  });
  const audit = await AuditTrail.open({ dataDir: cfg.dataDir, log });
  const keys = parseVerifyKeys({ publicKeys: cfg.publicKeys, hmacSecrets: cfg.hmacSecrets });
  const deployer = new Deployer({ engine, audit, keys, cfg, metrics, log });
  const poller = opts.poller as Poller | undefined;
  const app = createApp({ cfg, engine, deployer, audit, poller, metrics, log, version: 'unit' });
  return {
    app,
    dataDir,
    skillsDir: cfg.skillsDir,
    async close() {
      await engine.close();
      await audit.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What the receiver's JSON answers carry that the tests read; anything else is matched with toMatchObject. */
export interface Body {
  status?: string;
  error?: { code: string; message: string };
  [field: string]: unknown;
}

/** A JSON answer's status and body. */
export async function answer(res: Response | Promise<Response>): Promise<{ status: number; body: Body }> {
  const r = await res;
  return { status: r.status, body: (await r.json()) as Body };
}
