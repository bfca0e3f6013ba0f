// Action inputs and GitHub context: read from INPUT_* and GITHUB_* variables, checked, secrets masked.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import type { Trigger } from '../core/payload.js';
import type { OnInvalid } from '../core/deploy-flow.js';
import { parseSigningKey } from '../core/envelope/index.js';
import { displayUrl, withApiPath } from '../core/delivery.js';
import { PROFILES, isProfile, type Profile } from '../core/skill/profiles.js';
import { findConfigFile, loadConfigFile, withConfigFile } from '../core/config-file.js';
import { resolveSigning, type Signing } from './oidc.js';

export type Mode = 'validate' | 'deploy';

export interface ActionInputs {
  /** Absolute skills root. */
  root: string;
  /** Root relative to the workspace (POSIX), prefixed to annotation paths; '' when it is the workspace. */
  rootPrefix: string;
  mode: Mode;
  receivers: string[];
  signingKey: string;
  /** `oidc`: keyless, the job's ID token signs (action/oidc.ts). */
  signing: Signing;
  profile?: Profile;
  requiredFields?: string[];
  maxFileSize?: number;
  /** `.skillsync.yml` ignore patterns, relative to root. */
  ignore?: string[];
  /** Root that SYNC.json outputs must stay under (the gateway's data volume). */
  syncDataRoot: string;
  onInvalid: OnInvalid;
  release: boolean;
  releaseKeep: number;
  githubToken: string;
  timeoutMs: number;
  dryRun: boolean;
  planUrl: string;
  planApiKey: string;
  /** Key id of the signing key (deploy mode with a key), for the log. */
  signingKeyId?: string;
  /** Worth telling, not failing (e.g. no receiver-url with release: true). */
  notices: string[];
}

export interface GitHubContext {
  eventName: string;
  repository: string;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  apiUrl: string;
  workspace: string;
  runnerTemp: string;
  /** Web host for `blob/<sha>/<file>` links (GITHUB_SERVER_URL). */
  serverUrl: string;
  /** `inputs` of a workflow_dispatch event, when the event file has them. */
  dispatchInputs: Record<string, unknown>;
  /** The pull request's number (pull_request events), for its changed files. */
  pullNumber?: number;
  /** A pull request from a fork: GitHub gives its run no secrets. */
  fromFork: boolean;
}

interface EventPayload {
  inputs?: Record<string, unknown>;
  pull_request?: {
    number?: number;
    head?: { repo?: { full_name?: string; fork?: boolean } | null };
    base?: { repo?: { full_name?: string } };
  };
}

function absolutePath(name: string, fallback: string): string {
  const value = core.getInput(name).trim() || fallback;
  if (!path.posix.isAbsolute(value))
    throw new Error(`input ${name} must be an absolute path, got '${value}'`);
  return value;
}

export function readContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  let event: EventPayload = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = (JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as EventPayload | null) ?? {};
    } catch {
      // No or unreadable event file (local runs): the env variables are enough.
    }
  }
  const dispatchInputs = event.inputs && typeof event.inputs === 'object' ? event.inputs : {};
  const pr = event.pull_request;
  // A deleted fork has `head.repo: null`; it was still a fork, so no secrets either.
  const headRepo = pr?.head?.repo;
  const fromFork =
    !!pr &&
    (headRepo === null ||
      headRepo?.fork === true ||
      (!!headRepo?.full_name && !!pr.base?.repo?.full_name && headRepo.full_name !== pr.base.repo.full_name));
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    repository,
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    runnerTemp: env.RUNNER_TEMP ?? os.tmpdir(),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    dispatchInputs,
    pullNumber: typeof pr?.number === 'number' ? pr.number : undefined,
    fromFork,
  };
}

export class InputError extends Error {}

function bool(name: string, fallback: boolean): boolean {
  const v = core.getInput(name).trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new InputError(`input/bad-value: '${name}' must be true or false, got '${v}'`);
}

function int(name: string, fallback: number | undefined, min: number): number | undefined {
  const v = core.getInput(name).trim();
  if (v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new InputError(`input/bad-value: '${name}' must be an integer ≥ ${min}, got '${v}'`);
  return Number(v);
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const v = core.getInput(name).trim() || fallback;
  if (!allowed.includes(v as T))
    throw new InputError(`input/bad-value: '${name}' must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

function readProfile(): Profile | undefined {
  const v = core.getInput('profile').trim();
  if (v === '') return undefined;
  if (!isProfile(v))
    throw new InputError(`input/bad-value: 'profile' must be one of ${PROFILES.join(', ')}, got '${v}'`);
  return v;
}

/** `auto`: pull requests validate; push, dispatch and schedule deploy; anything else validates (the safe side). */
export function resolveMode(mode: 'auto' | Mode, eventName: string): Mode {
  if (mode !== 'auto') return mode;
  return ['push', 'workflow_dispatch', 'schedule'].includes(eventName) ? 'deploy' : 'validate';
}

export function triggerFor(eventName: string): Trigger {
  return eventName === 'workflow_dispatch' || eventName === 'schedule' ? eventName : 'push';
}

/** Mask everything sensitive before anything can be logged: the runner then scrubs it from every output line. */
function maskSecret(value: string): void {
  if (!value) return;
  core.setSecret(value);
  // Multi-line values (PEM keys) are matched line by line in the log, so mask each line too.
  for (const line of value.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= 8 && !/^-----(BEGIN|END) /.test(t)) core.setSecret(t);
  }
}

function maskUrlCredentials(raw: string): void {
  try {
    const url = new URL(raw);
    if (url.username) core.setSecret(decodeURIComponent(url.username));
    if (url.password) core.setSecret(decodeURIComponent(url.password));
    for (const v of url.searchParams.values()) if (v.length >= 6) core.setSecret(v);
  } catch {
    // Bad URLs are reported later, by the code that uses them, without their content.
  }
}

export function readInputs(ctx: GitHubContext): ActionInputs {
  const signingKey = core.getInput('signing-key');
  const planApiKey = core.getInput('plan-api-key');
  const githubToken = core.getInput('github-token');
  maskSecret(signingKey);
  maskSecret(planApiKey);
  maskSecret(githubToken);
  const receivers = core
    .getInput('receiver-url')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  const planUrl = core.getInput('plan-url').trim();
  for (const u of [...receivers, planUrl]) maskUrlCredentials(u);

  const workspace = path.resolve(ctx.workspace);
  const root = path.resolve(workspace, core.getInput('path').trim() || '.');
  const rel = path.relative(workspace, root);
  const requiredFields = core
    .getInput('required-fields')
    .split(/[\s,]+/)
    .filter(Boolean);
  // The repository's .skillsync.yml (docs/cli.md); an input given explicitly wins over it.
  const configFile = findConfigFile(root, workspace);
  const config = configFile ? loadConfigFile(configFile) : undefined;
  const checks = withConfigFile(
    {
      profile: readProfile(),
      requiredFields: requiredFields.length ? requiredFields : undefined,
      maxFileSize: int('max-file-size', undefined, 1),
    },
    config,
  );
  if (configFile) core.info(`settings: ${path.relative(workspace, configFile) || configFile}`);
  const mode = resolveMode(oneOf('mode', ['auto', 'validate', 'deploy'] as const, 'auto'), ctx.eventName);
  const release = bool('release', true);
  const dryRun = bool('dry-run', false);
  const notices: string[] = [];
  let signingKeyId: string | undefined;
  if (mode === 'deploy') {
    checkReceivers(receivers, release, dryRun, notices);
    if (!dryRun && release && (!ctx.owner || !ctx.repo || !githubToken)) {
      throw new InputError(
        "input/missing: release: true needs GITHUB_REPOSITORY and 'github-token' (default ${{ github.token }})",
      );
    }
    if (signingKey) {
      try {
        signingKeyId = parseSigningKey(signingKey).keyid;
      } catch (err) {
        throw new InputError(`input/bad-value: 'signing-key': ${(err as Error).message}`);
      }
    }
  }
  return {
    root,
    rootPrefix: rel.startsWith('..') || path.isAbsolute(rel) ? '' : rel.split(path.sep).join('/'),
    mode,
    receivers,
    signingKey,
    signing: resolveSigning(core.getInput('signing'), signingKey),
    signingKeyId,
    notices,
    profile: checks.profile,
    requiredFields: checks.requiredFields,
    maxFileSize: checks.maxFileSize,
    ignore: checks.ignore,
    syncDataRoot: absolutePath('sync-data-root', '/data'),
    onInvalid: oneOf('on-invalid', ['fail', 'skip'] as const, 'fail'),
    release,
    releaseKeep: int('release-keep', 10, 1) ?? 10,
    githubToken,
    timeoutMs: (int('timeout', 30, 1) ?? 30) * 1000,
    dryRun,
    planUrl,
    planApiKey,
  };
}

/**
 * Checked before anything is read or packed. An empty value is what an unset `vars.X` gives: with a release the
 * receivers' pollers still deliver, so that is only a notice; without one nothing would deliver the bundle.
 */
function checkReceivers(receivers: string[], release: boolean, dryRun: boolean, notices: string[]): void {
  receivers.forEach((u, i) => {
    try {
      withApiPath(u, '/v1/deployments');
    } catch (err) {
      throw new InputError(
        `input/bad-value: 'receiver-url' line ${i + 1} (${displayUrl(u)}): ${(err as Error).message}`,
      );
    }
  });
  if (receivers.length > 0 || dryRun) return;
  if (!release) {
    throw new InputError(
      "input/missing: 'receiver-url' is empty and release is false, so nothing would deliver the bundle. " +
        'Set receiver-url (is the variable it reads defined for this repository or environment?), ' +
        'or set release: true so the receivers poll the GitHub release.',
    );
  }
  notices.push(
    "receiver-url is empty: nothing is pushed; the receivers' pollers will deliver the GitHub release.",
  );
}
