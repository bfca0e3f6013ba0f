// Receiver process: load config, open engine and audit, start the poller and HTTP server, shut down cleanly.
import { packageVersion } from '../core/package-version.js';
import { serve, type ServerType } from '@hono/node-server';
import pino from 'pino';
import { AuditTrail } from '../core/audit/index.js';
import { useTreeReader } from '../core/tree-io.js';
import { openTreeIO } from './io/tree-io-pool.js';
import { parseVerifyKeys } from '../core/envelope/index.js';
import { OidcVerifier } from '../core/envelope/oidc-verify.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type ReceiverConfig } from './config.js';
import { Deployer } from './deployer.js';
import { Engine } from './engine/index.js';
import { GatewayCheck } from './gateway/check.js';
import { createMetrics } from './metrics.js';
import { Poller } from './poller/index.js';
import path from 'node:path';

export interface RunningReceiver {
  cfg: ReceiverConfig;
  port: number;
  stop(): Promise<void>;
}

export async function startReceiver(
  env: Record<string, string | undefined>,
  opts: { insecureDev?: boolean } = {},
): Promise<RunningReceiver> {
  const cfg = loadConfig(env, opts);
  // The gateway token is kept in cfg only: no child process (SYNC.json generators, shells) inherits it.
  if (env === process.env) delete process.env.OPENCLAW_GATEWAY_TOKEN;
  const log = pino({ level: cfg.logLevel, base: { svc: 'skill-sync-receiver' } });
  if (cfg.insecureDev)
    log.warn('insecure dev mode: API endpoints without a key, loopback only; never use in production');

  const keys = parseVerifyKeys({ publicKeys: cfg.publicKeys, hmacSecrets: cfg.hmacSecrets });
  const metrics = createMetrics();
  const engine = await Engine.open({
    dataDir: cfg.dataDir,
    skillsDir: cfg.skillsDir,
    strategy: cfg.strategy,
    keepReleases: cfg.keepReleases,
    reload: { url: cfg.reloadUrl, file: cfg.reloadFile },
    health: {
      url: cfg.healthcheckUrl,
      timeoutMs: cfg.healthcheckTimeoutMs,
      retries: cfg.healthcheckRetries,
      intervalMs: cfg.healthcheckIntervalMs,
    },
    alertUrl: cfg.alertWebhookUrl,
    ...(cfg.gateway && { gateway: new GatewayCheck(cfg.gateway, log) }),
    log,
  });
  const audit = await AuditTrail.open({ dataDir: cfg.dataDir, neo4j: cfg.neo4j, log });
  const oidc = cfg.oidc ? new OidcVerifier(cfg.oidc) : undefined;
  if (cfg.oidc) log.info({ oidc: cfg.oidc }, 'keyless deploys: GitHub OIDC tokens are verified');
  const deployer = new Deployer({ engine, audit, keys, oidc, cfg, metrics, log });
  deployer.recent.push(...(await audit.history({ limit: 10 })));

  let poller: Poller | undefined;
  if (cfg.github) {
    poller = new Poller({
      github: cfg.github,
      intervalMs: cfg.pollingIntervalMs,
      downloadDeadlineMs: cfg.pollDownloadDeadlineMs,
      statePath: path.join(cfg.dataDir, 'skill-sync', 'poller.json'),
      target: deployer,
      log,
      onResult: (r) => {
        metrics.polls.inc({ result: r.result });
        const latest = poller?.status().latestReleaseSerial;
        const live = engine.live()?.serial;
        if (latest !== undefined && live !== undefined)
          metrics.liveLag.set(Math.max(0, (latest - live) / 1000));
      },
    });
  }

  const app = createApp({ cfg, engine, deployer, audit, poller, metrics, log, version: packageVersion() });
  const server: ServerType = await new Promise<ServerType>((resolve, reject) => {
    // The envelope travels in a header: Node's default 16 KiB header cap would answer 431 before
    // MAX_ENVELOPE_BYTES is ever checked, so room is made for it plus ordinary headers.
    const serverOptions = { maxHeaderSize: cfg.maxEnvelopeBytes + 16 * 1024 };
    const s = serve({ fetch: app.fetch, port: cfg.port, hostname: cfg.host, serverOptions }, () =>
      resolve(s),
    );
    // A port in use is a setting to change: one line and exit 2 (docs/cli.md), not a crash with a stack trace.
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new ConfigError('PORT', `${cfg.port} is already in use on ${cfg.host}`)
          : err,
      ),
    );
  }).catch(async (err: unknown) => {
    await engine.close();
    await audit.close();
    throw err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  poller?.start();
  log.info(
    {
      port,
      host: cfg.host,
      dataDir: cfg.dataDir,
      skillsDir: cfg.skillsDir,
      strategy: cfg.strategy,
      poller: !!poller,
      gatewayCheck: cfg.gateway?.mode ?? 'off',
    },
    'receiver listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: finishing the deployment in progress');
      await poller?.stop();
      // Stop accepting; requests in flight (a deployment) run to completion inside engine.close().
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
      await audit.close();
      await closed;
      log.info('stopped');
    })());
  return { cfg, port, stop };
}

/** Entry for `skill-sync receiver`: a bad setting stops the process with one line naming the variable. */
export async function runReceiverProcess(argv: string[]): Promise<number> {
  const insecureDev = argv.includes('--insecure-dev');
  // Discovery and the check read trees in the I/O workers, so the HTTP loop never waits on the disk.
  useTreeReader(openTreeIO);
  // Listen for signals before start-up, so a SIGTERM that arrives while starting still shuts down cleanly.
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  process.once('SIGTERM', () => signalled());
  process.once('SIGINT', () => signalled());
  let running: RunningReceiver;
  try {
    running = await startReceiver(process.env, { insecureDev });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`skill-sync receiver: invalid configuration: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  await signal;
  await running.stop();
  return 0;
}
