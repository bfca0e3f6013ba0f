// Receiver configuration: every environment variable, parsed and checked once at start.
import path from 'node:path';
import { MAX_SIGNER_SKEW_MS } from '../core/release/clock.js';
import { DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_MAX_FILE_BYTES } from '../core/bundle/limits.js';
import type { OidcPolicy } from '../core/envelope/oidc-verify.js';
import { loadOidcPolicy } from './oidc-config.js';
import { ConfigError, int, list, num, oneOf, str, url, type Env } from './env.js';

export { ConfigError };

export interface ReceiverConfig {
  port: number;
  host: string;
  dataDir: string;
  skillsDir: string;
  /** Root that SYNC.json `outputFile`s must stay under (the gateway's view of the volume). */
  syncDataRoot: string;
  publicKeys?: string;
  hmacSecrets?: string;
  /** Keyless verification of GitHub Actions ID tokens (receiver/oidc-config.ts). */
  oidc?: OidcPolicy;
  apiKey?: string;
  strategy: 'symlink' | 'in-place';
  keepReleases: number;
  reloadUrl?: string;
  reloadFile?: string;
  healthcheckUrl?: string;
  healthcheckTimeoutMs: number;
  healthcheckRetries: number;
  healthcheckIntervalMs: number;
  alertWebhookUrl?: string;
  /** GATEWAY_CHECK and its connection: absent when off (docs/receiver.md#gateway-check). */
  gateway?: { mode: 'report' | 'enforce'; url: string; token?: string; settleMs: number };
  maxBundleBytes: number;
  maxEnvelopeBytes: number;
  profile: 'openclaw' | 'agentskills' | 'strict';
  maxFileSize: number;
  github?: { owner: string; repo: string; token?: string; apiUrl: string; timeoutMs: number };
  pollingIntervalMs: number;
  /** Total deadline of each poll download (docs/receiver.md). */
  pollDownloadDeadlineMs: number;
  neo4j?: { uri: string; user: string; password: string; database?: string };
  logLevel: string;
  insecureDev: boolean;
  /** Serials (signing times) further ahead of this receiver's clock are refused (docs/security.md). */
  maxClockSkewMs: number;
  /** Releases must name one of these repositories; undefined = any (then /health warns). */
  allowedRepositories?: string[];
  /** Releases must name one of these refs. */
  allowedRefs: string[];
  /** Per client and minute; 0 turns the limit off. */
  rateLimit: { deploymentsPerMin: number; authFailuresPerMin: number; clientIpHeader?: string };
}

/** `--insecure-dev` serves the operator API without a key, so it may only listen where nobody else can reach. */
function loopbackOnly(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function absolute(env: Env, name: string, fallback: string): string {
  const raw = str(env, name) ?? fallback;
  if (!path.isAbsolute(raw)) throw new ConfigError(name, `must be an absolute path, got '${raw}'`);
  return path.resolve(raw);
}

/** GATEWAY_CHECK defaults to `report` once the gateway's URL or token is in the environment, else `off`. */
function gatewayCheck(env: Env): ReceiverConfig['gateway'] {
  const rawUrl = str(env, 'OPENCLAW_GATEWAY_URL');
  const token = str(env, 'OPENCLAW_GATEWAY_TOKEN');
  const mode = oneOf(
    env,
    'GATEWAY_CHECK',
    ['off', 'report', 'enforce'] as const,
    rawUrl || token ? 'report' : 'off',
  );
  const settleMs = int(env, 'GATEWAY_SETTLE_TIMEOUT_MS', 10_000, 100, 600_000);
  if (mode === 'off') return undefined;
  const u = rawUrl ?? 'ws://127.0.0.1:18789';
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new ConfigError('OPENCLAW_GATEWAY_URL', 'is not a valid URL');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
    throw new ConfigError('OPENCLAW_GATEWAY_URL', 'must be a ws:// or wss:// URL');
  return { mode, url: u, ...(token ? { token } : {}), settleMs };
}

export function loadConfig(env: Env, opts: { insecureDev?: boolean } = {}): ReceiverConfig {
  const insecureDev = opts.insecureDev === true;
  const dataDir = absolute(env, 'DATA_DIR', '/data');
  const cfg: ReceiverConfig = {
    port: int(env, 'PORT', 8787, 0, 65535),
    host: str(env, 'HOST') ?? (insecureDev ? '127.0.0.1' : '::'),
    dataDir,
    skillsDir: absolute(env, 'SKILLS_DIR', path.join(dataDir, 'skills')),
    syncDataRoot: absolute(env, 'SYNC_DATA_ROOT', dataDir),
    publicKeys: str(env, 'SKILL_SYNC_PUBLIC_KEYS'),
    hmacSecrets: str(env, 'SKILL_SYNC_HMAC_SECRETS'),
    apiKey: str(env, 'MANUAL_SYNC_API_KEY'),
    strategy: oneOf(env, 'DEPLOY_STRATEGY', ['in-place', 'symlink'] as const, 'in-place'),
    keepReleases: int(env, 'KEEP_RELEASES', 10, 2, 1000),
    reloadUrl: url(env, 'RELOAD_URL'),
    reloadFile: str(env, 'RELOAD_FILE'),
    healthcheckUrl: url(env, 'HEALTHCHECK_URL'),
    healthcheckTimeoutMs: int(env, 'HEALTHCHECK_TIMEOUT_MS', 5000, 1),
    healthcheckRetries: int(env, 'HEALTHCHECK_RETRIES', 5, 0, 100),
    healthcheckIntervalMs: int(env, 'HEALTHCHECK_INTERVAL_MS', 1000, 0),
    alertWebhookUrl: url(env, 'ALERT_WEBHOOK_URL'),
    maxBundleBytes: int(env, 'MAX_BUNDLE_BYTES', DEFAULT_MAX_BUNDLE_BYTES, 1024),
    maxEnvelopeBytes: int(env, 'MAX_ENVELOPE_BYTES', 16 * 1024, 256, 1024 * 1024),
    profile: oneOf(env, 'VALIDATION_PROFILE', ['openclaw', 'agentskills', 'strict'] as const, 'openclaw'),
    // The Action's default too (core/bundle/limits.ts): what it accepted, a default receiver accepts.
    maxFileSize: int(env, 'MAX_FILE_SIZE', DEFAULT_MAX_FILE_BYTES, 1),
    pollingIntervalMs: Math.round(num(env, 'POLLING_INTERVAL_MIN', 5, 0.001) * 60_000),
    pollDownloadDeadlineMs: int(env, 'POLL_DOWNLOAD_DEADLINE_MS', 300_000, 100),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
      'info',
    ),
    insecureDev,
    maxClockSkewMs: Math.round(
      num(env, 'SKILL_SYNC_MAX_CLOCK_SKEW', MAX_SIGNER_SKEW_MS / 60_000, 0) * 60_000,
    ),
    allowedRepositories: list(env, 'SKILL_SYNC_ALLOWED_REPOSITORIES'),
    allowedRefs: list(env, 'SKILL_SYNC_ALLOWED_REFS') ?? [],
    rateLimit: {
      deploymentsPerMin: int(env, 'RATE_LIMIT_DEPLOYMENTS_PER_MIN', 60, 0),
      authFailuresPerMin: int(env, 'RATE_LIMIT_AUTH_FAILURES_PER_MIN', 10, 0),
      clientIpHeader: str(env, 'CLIENT_IP_HEADER')?.toLowerCase(),
    },
  };
  cfg.gateway = gatewayCheck(env);
  if (insecureDev && !loopbackOnly(cfg.host))
    throw new ConfigError(
      'HOST',
      `--insecure-dev listens on loopback only (127.0.0.1, ::1), not '${cfg.host}'`,
    );
  if (cfg.reloadFile && !path.isAbsolute(cfg.reloadFile))
    throw new ConfigError('RELOAD_FILE', 'must be an absolute path');

  const owner = str(env, 'GITHUB_OWNER');
  const repo = str(env, 'GITHUB_REPO');
  if (Boolean(owner) !== Boolean(repo))
    throw new ConfigError(owner ? 'GITHUB_REPO' : 'GITHUB_OWNER', 'GITHUB_OWNER and GITHUB_REPO go together');
  if (owner && repo) {
    cfg.github = {
      owner,
      repo,
      token: str(env, 'GITHUB_TOKEN'),
      apiUrl: url(env, 'GITHUB_API_URL') ?? 'https://api.github.com',
      timeoutMs: int(env, 'GITHUB_TIMEOUT_MS', 30_000, 100),
    };
    // The polled repository is the one whose releases this receiver trusts, unless told otherwise.
    cfg.allowedRepositories ??= [`${owner}/${repo}`];
  }

  const neoUri = str(env, 'NEO4J_URI');
  if (neoUri) {
    if (!/^(neo4j|bolt)(\+s|\+ssc)?:\/\//.test(neoUri))
      throw new ConfigError('NEO4J_URI', 'must start with neo4j://, neo4j+s://, bolt:// or bolt+s://');
    const user = str(env, 'NEO4J_USER') ?? str(env, 'NEO4J_USERNAME');
    const password = str(env, 'NEO4J_PASSWORD');
    if (!user) throw new ConfigError('NEO4J_USER', 'is required when NEO4J_URI is set');
    if (!password) throw new ConfigError('NEO4J_PASSWORD', 'is required when NEO4J_URI is set');
    cfg.neo4j = { uri: neoUri, user, password, database: str(env, 'NEO4J_DATABASE') };
  }

  cfg.oidc = loadOidcPolicy(env);
  // One policy, not two: a keyless receiver's pinned repository and refs are also what it allows by default.
  if (cfg.oidc) cfg.allowedRepositories ??= [cfg.oidc.repository];
  if (cfg.allowedRefs.length === 0) cfg.allowedRefs = cfg.oidc?.refs ?? ['refs/heads/main'];
  if (!cfg.publicKeys && !cfg.hmacSecrets && !cfg.oidc && !insecureDev)
    throw new ConfigError(
      'SKILL_SYNC_PUBLIC_KEYS',
      'no signing key configured (set SKILL_SYNC_OIDC_REPOSITORY for keyless deploys, or SKILL_SYNC_PUBLIC_KEYS or SKILL_SYNC_HMAC_SECRETS; `skill-sync keygen` makes one)',
    );
  if (cfg.apiKey !== undefined && cfg.apiKey.length < 16)
    throw new ConfigError('MANUAL_SYNC_API_KEY', 'must be at least 16 characters');
  return cfg;
}
