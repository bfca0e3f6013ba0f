// The receiver's HTTP surface (Hono): deployments, state, operator API, health and metrics.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import type { AuditTrail } from '../core/audit/index.js';
import type { GatewayReport } from '../core/gateway/report.js';
import { apiKeyAuth } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { DeployOutcome, Deployer } from './deployer.js';
import type { Engine } from './engine/index.js';
import type { Metrics } from './metrics.js';
import type { Poller } from './poller.js';
import { authFailureLimit, deploymentLimit } from './rate-limit.js';

/** Operator API bodies are a few bytes of JSON; bundles stream on /v1/deployments under their signed size. */
const MAX_API_BODY_BYTES = 16 * 1024;

export interface AppContext {
  cfg: ReceiverConfig;
  engine: Engine;
  deployer: Deployer;
  audit: AuditTrail;
  poller?: Poller;
  metrics: Metrics;
  log: Logger;
  version: string;
}

// Bindings are absent when the app is driven by app.request() (tests): `incoming` is then undefined.
type Env = { Variables: { log: Logger; requestId: string }; Bindings: Partial<HttpBindings> };

function outcomeBody(o: DeployOutcome) {
  if (o.status === 'rejected' || o.status === 'failed')
    return {
      status: o.status,
      error: { code: o.code, message: o.message },
      serial: o.serial,
      ...(o.gateway && { gateway: o.gateway }),
    };
  return {
    status: o.status,
    deploymentId: o.deploymentId,
    serial: o.serial,
    digest: o.digest,
    skills: o.skills,
    durationMs: o.durationMs,
    liveDeploymentId: o.liveDeploymentId,
    ...(o.code ? { error: { code: o.code, message: o.message } } : {}),
    ...(o.gateway && { gateway: o.gateway }),
  };
}

/** /health is public: each skill's verdict, but not where on disk the winning copy lives (docs/receiver.md). */
function publicVerdicts(g: GatewayReport): GatewayReport {
  return {
    ...g,
    skills: g.skills.map(({ shadowedBy, ...v }) =>
      shadowedBy ? { ...v, shadowedBy: { source: shadowedBy.source } } : v,
    ),
  };
}

export function createApp(ctx: AppContext) {
  const { cfg, engine, deployer, audit, poller, metrics } = ctx;
  const app = new Hono<Env>();

  app.use(requestId());
  app.use(
    createMiddleware<Env>(async (c, next) => {
      const log = ctx.log.child({ reqId: c.get('requestId') });
      c.set('log', log);
      const t0 = performance.now();
      await next();
      // Health probes and scrapes arrive every few seconds; keep them out of the info log.
      const quiet = c.req.path === '/health' || c.req.path === '/metrics';
      log[quiet ? 'debug' : 'info'](
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - t0),
        },
        'request',
      );
    }),
  );

  app.use(
    createMiddleware<Env>(async (c, next) => {
      await next();
      // A body left unread (a refusal, a route that takes none) must not keep the connection open while the
      // client streams it: Node would drain it until its request timeout.
      const incoming = c.env?.incoming;
      const hasBody = !!c.req.header('transfer-encoding') || Number(c.req.header('content-length') ?? 0) > 0;
      if (incoming && hasBody && !incoming.complete) c.header('Connection', 'close');
    }),
  );
  const apiBodyLimit = bodyLimit({
    maxSize: MAX_API_BODY_BYTES,
    onError: (c) =>
      c.json({ error: { code: 'too-large', message: `request body over ${MAX_API_BODY_BYTES} bytes` } }, 413),
  });
  app.use(async (c, next) =>
    c.req.method === 'POST' && c.req.path === '/v1/deployments' ? next() : apiBodyLimit(c, next),
  );
  app.post('/v1/deployments', deploymentLimit(cfg.rateLimit));
  const auth = [authFailureLimit(cfg.rateLimit), apiKeyAuth(cfg.apiKey, cfg.insecureDev)] as const;

  app.post('/v1/deployments', async (c) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim();
    if (type !== 'application/gzip' && type !== 'application/octet-stream') {
      metrics.rejected.inc({ reason: 'content-type' });
      c.header('Connection', 'close');
      return c.json(
        { status: 'rejected', error: { code: 'content-type', message: 'send application/gzip' } },
        415,
      );
    }
    const lengthHeader = c.req.header('content-length');
    const length =
      lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    // The node request itself when served by @hono/node-server: as an async iterable it reads only as fast as
    // ingest writes, where the web stream adapter keeps pulling the socket into memory ahead of the consumer.
    const body = (c.env?.incoming ?? c.req.raw.body) as AsyncIterable<Uint8Array> | null;
    const outcome = await deployer.push(c.req.header('skill-sync-envelope'), body, length);
    // A refusal before the body was read must not leave a half-read request on a kept-alive connection.
    if (outcome.httpStatus !== 201) c.header('Connection', 'close');
    return c.json(outcomeBody(outcome), outcome.httpStatus as 200);
  });

  app.get('/v1/state', ...auth, (c) => {
    const live = engine.live();
    if (!live) return c.json({ deploymentId: null, serial: null, digest: null, skills: [] });
    return c.json({
      deploymentId: live.deploymentId,
      serial: live.serial,
      digest: live.digest,
      repository: live.repository,
      ref: live.ref,
      commit: live.commit,
      appliedAt: live.appliedAt,
      skills: live.manifest.skills.map((s) => ({
        name: s.name,
        version: s.version,
        fingerprint: s.fingerprint,
      })),
    });
  });

  app.post('/api/sync', ...auth, async (c) => {
    if (!poller)
      return c.json({ error: { code: 'poller-disabled', message: 'set GITHUB_OWNER and GITHUB_REPO' } }, 409);
    const result = await poller.pollNow();
    return c.json(result, result.result === 'error' ? 502 : result.result === 'rate_limited' ? 429 : 200);
  });

  app.post('/api/serial/reset', ...auth, async (c) => {
    const r = await deployer.resetSerial();
    return c.json(r.body, r.httpStatus as 200);
  });

  app.post('/api/rollback', ...auth, async (c) => {
    let target: string | undefined;
    if (c.req.header('content-type')?.includes('json')) {
      const body = (await c.req.json().catch(() => ({}))) as { deploymentId?: unknown };
      if (body.deploymentId !== undefined && typeof body.deploymentId !== 'string')
        return c.json({ error: { code: 'bad-request', message: 'deploymentId must be a string' } }, 400);
      target = body.deploymentId;
    }
    const outcome = await deployer.rollback(target);
    return c.json(outcomeBody(outcome), (outcome.status === 'deployed' ? 200 : outcome.httpStatus) as 200);
  });

  app.get('/health', (c) => {
    const live = engine.live();
    const auditStatus = audit.status();
    const status = auditStatus.jsonl === 'ok' ? 'ok' : 'degraded';
    // Each skill's gateway verdict for the last deployment; the result only for the older ones.
    const summary = (r: (typeof deployer.recent)[number], full = false) => ({
      id: r.deploymentId,
      timestamp: r.timestamp,
      status: r.status,
      trigger: r.trigger,
      serial: r.serial,
      commit: r.commit,
      skills: r.skills?.length,
      durationMs: r.durationMs,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.gateway && { gateway: full ? publicVerdicts(r.gateway) : { result: r.gateway.result } }),
    });
    // Without an allowlist any repository holding the signing key deploys here (docs/security.md).
    const warnings = cfg.allowedRepositories
      ? []
      : ['no repository allowlist: set SKILL_SYNC_ALLOWED_REPOSITORIES (or GITHUB_OWNER/GITHUB_REPO)'];
    return c.json({
      status,
      ...(warnings.length ? { warnings } : {}),
      timestamp: new Date().toISOString(),
      version: ctx.version,
      services: {
        webhook: { status: 'ok', strategy: cfg.strategy },
        poller: poller ? poller.status() : { enabled: false },
        audit: auditStatus,
        gateway: cfg.gateway
          ? { mode: cfg.gateway.mode, last: deployer.recent.find((r) => r.gateway)?.gateway?.result ?? null }
          : { mode: 'off' },
      },
      skills: { count: live?.manifest.skills.length ?? 0, lastUpdated: live?.appliedAt ?? null },
      live: live
        ? { deploymentId: live.deploymentId, serial: live.serial, digest: live.digest, commit: live.commit }
        : null,
      lastDeployment: deployer.recent[0] ? summary(deployer.recent[0], true) : null,
      recentDeployments: deployer.recent.slice(0, 5).map((r) => summary(r)),
    });
  });

  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  app.notFound((c) =>
    c.json({ error: { code: 'not-found', message: `${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => {
    c.get('log')?.error({ err }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'internal error (see receiver logs)' } }, 500);
  });
  return app;
}
