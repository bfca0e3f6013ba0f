// The receiver's HTTP surface (Hono): deployments, state, operator API, health and metrics.
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import type { AuditTrail } from '../core/audit/index.js';
import type { GatewayReport } from '../core/gateway/report.js';
import { apiKeyAuth } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { Deployer } from './deployer.js';
import type { Engine } from './engine/index.js';
import type { Metrics } from './metrics.js';
import type { DeployOutcome, OutcomeCode } from './outcome.js';
import type { Poller } from './poller/index.js';
import { authFailureLimit, deploymentLimit } from './rate-limit.js';
import { Refusal } from './refusal.js';

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

/** Codes the HTTP layer answers with itself (auth.ts and rate-limit.ts answer theirs in their middleware). */
type HttpCode = 'content-type' | 'bad-request' | 'poller-disabled' | 'not-found';

/**
 * Every code's HTTP status, in one place (docs/receiver.md lists them with their meaning). The domain says
 * what happened; only this table says how HTTP puts it.
 */
export const HTTP_STATUS: Record<OutcomeCode | HttpCode, ContentfulStatusCode> = {
  // The request itself
  'content-type': 415,
  'bad-request': 400,
  'poller-disabled': 409,
  'not-found': 404,
  // The envelope: nothing here proves who sent it
  'missing-envelope': 401,
  malformed: 401,
  'bad-payload-type': 401,
  'bad-signature': 401,
  'no-keys': 401,
  'bad-payload': 401,
  'oidc-malformed': 401,
  'oidc-alg': 401,
  'oidc-bad-signature': 401,
  'oidc-unknown-key': 401,
  'oidc-issuer': 401,
  'oidc-audience': 401,
  'oidc-expired': 401,
  'oidc-not-yet-valid': 401,
  'oidc-repository': 401,
  'oidc-repository-id': 401,
  'oidc-ref': 401,
  'oidc-workflow': 401,
  'oidc-environment': 401,
  'oidc-payload-mismatch': 401,
  // The issuer being unreachable is ours to fix, not the sender's: worth a retry.
  'oidc-unavailable': 503,
  // Source policy and the serial rule
  'repository-not-allowed': 403,
  'ref-not-allowed': 403,
  'future-serial': 409,
  replay: 409,
  'previously-refused': 409,
  'serial-not-ahead': 409,
  // The body against the signed size and digest
  'too-large': 413,
  'asset-too-large': 413,
  'assets-missing': 422,
  'size-mismatch': 400,
  'digest-mismatch': 400,
  'skills-mismatch': 422,
  // The unpacked bundle
  'path-traversal': 422,
  'bad-name': 422,
  'path-too-long': 422,
  'too-deep': 422,
  'link-entry': 422,
  'special-entry': 422,
  'unexpected-entry': 422,
  'too-many-entries': 422,
  'file-too-large': 422,
  ratio: 422,
  'duplicate-entry': 422,
  'name-collision': 422,
  'path-conflict': 422,
  'manifest-invalid': 422,
  'manifest-mismatch': 422,
  'skill-md-missing': 422,
  'corrupt-gzip': 422,
  'corrupt-tar': 422,
  'staging-not-empty': 422,
  'changed-since-check': 422,
  'invalid-skills': 422,
  // Rollback targets
  'unknown-release': 404,
  'no-previous-release': 409,
  'carry-over-mismatch': 409,
  // After the switch
  'health-check-failed': 424,
  'gateway-check-failed': 424,
  'apply-failed': 500,
  'disk-full': 507,
  internal: 500,
};

/** The status of a deployment outcome: its code's, or `created` for a new deployment, or 200. */
function outcomeStatus(o: DeployOutcome, created: ContentfulStatusCode): ContentfulStatusCode {
  if (o.code) return HTTP_STATUS[o.code];
  return o.status === 'deployed' ? created : 200;
}

/** An error body for a code, with its status from the table. */
function failure(c: Context, code: OutcomeCode | HttpCode, message: string, extra: object = {}) {
  return c.json({ ...extra, error: { code, message } }, HTTP_STATUS[code]);
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
    onError: (c) => failure(c, 'too-large', `request body over ${MAX_API_BODY_BYTES} bytes`),
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
      return failure(c, 'content-type', 'send application/gzip', { status: 'rejected' });
    }
    const lengthHeader = c.req.header('content-length');
    const length =
      lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    // The node request itself when served by @hono/node-server: as an async iterable it reads only as fast as
    // ingest writes, where the web stream adapter keeps pulling the socket into memory ahead of the consumer.
    const body = (c.env?.incoming ?? c.req.raw.body) as AsyncIterable<Uint8Array> | null;
    const outcome = await deployer.push(c.req.header('skill-sync-envelope'), body, length);
    const status = outcomeStatus(outcome, 201);
    // A refusal before the body was read must not leave a half-read request on a kept-alive connection.
    if (status !== 201) c.header('Connection', 'close');
    return c.json(outcomeBody(outcome), status);
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
    if (!poller) return failure(c, 'poller-disabled', 'set GITHUB_OWNER and GITHUB_REPO');
    const result = await poller.pollNow();
    return c.json(result, result.result === 'error' ? 502 : result.result === 'rate_limited' ? 429 : 200);
  });

  app.post('/api/serial/reset', ...auth, async (c) => {
    const r = await deployer.resetSerial();
    return r instanceof Refusal ? failure(c, r.code, r.message) : c.json(r);
  });

  app.post('/api/rollback', ...auth, async (c) => {
    let target: string | undefined;
    if (c.req.header('content-type')?.includes('json')) {
      const body = (await c.req.json().catch(() => ({}))) as { deploymentId?: unknown };
      if (body.deploymentId !== undefined && typeof body.deploymentId !== 'string')
        return failure(c, 'bad-request', 'deploymentId must be a string');
      target = body.deploymentId;
    }
    const outcome = await deployer.rollback(target);
    return c.json(outcomeBody(outcome), outcomeStatus(outcome, 200));
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

  app.notFound((c) => failure(c, 'not-found', `${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    c.get('log')?.error({ err }, 'unhandled error');
    return failure(c, 'internal', 'internal error (see receiver logs)');
  });
  return app;
}
