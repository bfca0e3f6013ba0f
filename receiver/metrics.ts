// Prometheus metrics for the receiver: one registry per app, so tests and processes never share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'skill_sync_' });
  return {
    registry,
    deployments: new Counter({
      name: 'skill_sync_deployments_total',
      help: 'Deployment attempts that reached the apply engine, by outcome and trigger',
      labelNames: ['status', 'trigger'] as const,
      registers: [registry],
    }),
    deployDuration: new Histogram({
      name: 'skill_sync_deploy_duration_seconds',
      help: 'Time from accepted envelope to live (or rolled back)',
      labelNames: ['status'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    reloads: new Counter({
      name: 'skill_sync_reloads_total',
      help: 'Gateway reload hooks fired',
      registers: [registry],
    }),
    healthFailures: new Counter({
      name: 'skill_sync_health_failures_total',
      help: 'Post-switch health checks that failed and caused a rollback',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'skill_sync_rejected_requests_total',
      help: 'Requests refused before anything was applied, by reason code',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    polls: new Counter({
      name: 'skill_sync_polls_total',
      help: 'Poller checks of the latest GitHub release, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    gatewayChecks: new Counter({
      name: 'skill_sync_gateway_checks_total',
      help: 'Gateway checks after a switch, by result (pass, fail, unknown)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    gatewaySkills: new Gauge({
      name: 'skill_sync_gateway_skills',
      help: 'Skills of the last checked deployment by what the gateway made of them',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    liveLag: new Gauge({
      name: 'skill_sync_live_lag_seconds',
      help: 'How far the live deployment trails the latest signed release (0 = up to date)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
