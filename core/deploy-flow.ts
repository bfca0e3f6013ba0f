// Deploy flow shared by the Action and `skill-sync publish`: pack → sign → release → POST to receivers.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileContents } from './check.js';
import type { Finding } from './findings.js';
import type { Skill } from './skill/model.js';
import type { ReleasePayload, Trigger } from './payload.js';
import type { DeployRecord } from './report.js';
import { packBundle } from './bundle/pack.js';
import {
  encodeEnvelopeHeader,
  keySignatures,
  nextSerial,
  parseSigningKey,
  signEnvelope,
} from './envelope/index.js';
import { signEnvelopeWithIdToken, type IdTokenSource } from './envelope/oidc.js';
import { DEFAULT_TAG_PREFIX, publishRelease } from './release/index.js';
import { clockSkewFromGitHub, signerClockProblem } from './release/clock.js';
import { publishToReceivers, type ReceiverResult } from './delivery.js';
import { redactSecrets } from './secrets/scan.js';
import { refusedBySize } from './bundle/limits.js';

export type OnInvalid = 'fail' | 'skip';

export interface ReleaseTarget {
  apiUrl: string;
  owner: string;
  repo: string;
  token: string;
  keep: number;
}

export interface DeploySource {
  repository: string;
  ref: string;
  commit: string;
  trigger: Trigger;
}

export interface DeployFlowOptions {
  root: string;
  /** Skills to ship, already chosen by `selectSkills`. */
  skills: Skill[];
  /** Skipped skills whose live version the receiver keeps (`Selection.retain`). */
  retain?: string[];
  /** The check's kept file contents (`CheckResult.contents`), so the pack does not read the tree again. */
  contents?: FileContents;
  /** May be '' when `idToken` signs; with both, the envelope carries both signatures. */
  signingKey: string;
  /** Keyless: an OIDC ID token for the payload's audience (core/envelope/oidc.ts). */
  idToken?: IdTokenSource;
  receivers: string[];
  release?: ReleaseTarget;
  source: DeploySource;
  dryRun: boolean;
  /** Folder for `skills.tar.gz` and `skills.dsse.json`; created if missing. */
  workDir: string;
  timeoutMs?: number;
  retries?: number;
  log?: (message: string) => void;
}

export interface DeployFlowResult {
  record: DeployRecord;
  bundleFile: string;
  envelopeFile: string;
  payload: ReleasePayload;
  deploymentId?: string;
  releaseUrl?: string;
  /** Reasons the run fails (refused receiver, failed release, unreachable receiver with no release). */
  failures: string[];
  /** Worth telling, not failing: unreachable receivers the poller will catch up on. */
  warnings: string[];
}

export interface Selection {
  ship: Skill[];
  skipped: Skill[];
  /** Names of the skipped skills: the bundle asks receivers to keep their live versions (docs/action.md). */
  retain: string[];
  /** Set when the run must stop before packing. */
  blocked?: string;
}

/**
 * `fail`: any error blocks the deploy; `skip`: ship only the valid skills, keep the live versions of the
 * skipped ones, and report them. A committed secret is never skipped: it blocks the deploy either way.
 */
export function selectSkills(skills: Skill[], findings: Finding[], onInvalid: OnInvalid): Selection {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const ship = skills.filter((s) => s.valid);
  const skipped = skills.filter((s) => !s.valid);
  if (onInvalid === 'fail' && errors > 0) {
    return {
      ship: [],
      skipped: skills,
      retain: [],
      blocked: `validation found ${errors} error(s) in ${skipped.length} skill(s); nothing deployed (on-invalid: fail)`,
    };
  }
  const secrets = findings.filter((f) => f.severity === 'error' && f.rule.startsWith('secret/'));
  if (secrets.length > 0) {
    const where = secrets.slice(0, 5).map((f) => `${f.file}:${f.line}`);
    return {
      ship: [],
      skipped: skills,
      retain: [],
      blocked: `${secrets.length} committed secret(s) (${where.join(', ')}${secrets.length > 5 ? ', …' : ''}) block the deploy even with on-invalid: skip; remove and rotate them`,
    };
  }
  const retain = skipped.map((s) => s.name);
  if (ship.length === 0) return { ship, skipped, retain, blocked: 'no valid skills to deploy' };
  return { ship, skipped, retain };
}

/** The `skill-sync-<serial>` tag sorts and prunes by serial; the body is for humans browsing releases. */
function releaseBody(payload: ReleasePayload, skills: Skill[]): string {
  const lines = [
    `skill-sync release, serial ${payload.serial}`,
    '',
    `- Commit: ${payload.commit}`,
    `- Ref: ${payload.ref}`,
    `- Trigger: ${payload.trigger}`,
    `- Bundle: sha256:${payload.bundle.sha256} (${payload.bundle.size} bytes)`,
    `- Skills (${skills.length}):`,
    ...skills.slice(0, 200).map((s) => `  - ${s.name} ${s.version}`),
  ];
  if (skills.length > 200)
    lines.push(`  - … and ${skills.length - 200} more (see skill-sync.json in the bundle)`);
  return lines.join('\n');
}

export async function runDeploy(opts: DeployFlowOptions): Promise<DeployFlowResult> {
  const log = opts.log ?? (() => {});
  // Parse the key before any work, so a bad key fails fast and nothing half-made is left.
  const key = opts.idToken && !opts.signingKey ? undefined : parseSigningKey(opts.signingKey);
  // A serial from the future would outrank every later release on the receivers (docs/security.md). Asked
  // while packing (it never throws), checked before anything is signed.
  const skew =
    opts.release && !opts.dryRun
      ? clockSkewFromGitHub({ ...opts.release, timeoutMs: opts.timeoutMs })
      : undefined;
  await mkdir(opts.workDir, { recursive: true });
  const bundleFile = path.join(opts.workDir, 'skills.tar.gz');
  const envelopeFile = path.join(opts.workDir, 'skills.dsse.json');
  const packed = await packBundle(opts.root, opts.skills, bundleFile, {
    contents: opts.contents,
    retain: opts.retain,
  });
  const unpacked = opts.skills.reduce((n, s) => n + s.files.reduce((m, f) => m + f.size, 0), 0);
  const oversize = refusedBySize(packed.size, unpacked);
  if (oversize) throw new Error(`${oversize}; remove large assets from the skills`);
  if (skew) {
    const problem = signerClockProblem(await skew);
    if (problem) throw new Error(problem);
  }
  const payload: ReleasePayload = {
    v: 1,
    repository: opts.source.repository,
    ref: opts.source.ref,
    commit: opts.source.commit,
    serial: nextSerial(),
    createdAt: new Date().toISOString(),
    trigger: opts.source.trigger,
    bundle: { sha256: packed.sha256, size: packed.size },
    skills: opts.skills.length,
  };
  const envelope = opts.idToken
    ? await signEnvelopeWithIdToken(payload, opts.idToken, (body) => (key ? keySignatures(body, [key]) : []))
    : signEnvelope(payload, key ? [key] : []);
  const envelopeJson = JSON.stringify(envelope, null, 2) + '\n';
  await writeFile(envelopeFile, envelopeJson);
  log(
    `packed ${opts.skills.length} skill(s): sha256:${packed.sha256} (${packed.size} bytes), serial ${payload.serial}`,
  );

  const record: DeployRecord = {
    dryRun: opts.dryRun,
    serial: payload.serial,
    bundle: payload.bundle,
    receivers: [],
  };
  const result: DeployFlowResult = { record, bundleFile, envelopeFile, payload, failures: [], warnings: [] };
  if (opts.dryRun) {
    record.release = { skipped: 'dry run' };
    log('dry run: no release created, nothing posted');
    return result;
  }

  // Release first: once it exists, the receivers' pollers converge even if every push below fails.
  let releaseCreated = false;
  if (opts.release) {
    try {
      const rel = await publishRelease(
        {
          apiUrl: opts.release.apiUrl,
          owner: opts.release.owner,
          repo: opts.release.repo,
          token: opts.release.token,
          timeoutMs: opts.timeoutMs,
        },
        {
          tag: `${DEFAULT_TAG_PREFIX}${payload.serial}`,
          name: `skill-sync ${payload.serial}`,
          body: releaseBody(payload, opts.skills),
          commit: payload.commit,
          bundleFile,
          envelopeJson,
          keep: opts.release.keep,
        },
      );
      record.release = { url: rel.url, id: rel.id };
      result.releaseUrl = rel.url;
      releaseCreated = true;
      for (const e of rel.pruneErrors) result.warnings.push(`pruning old releases: ${redactSecrets(e)}`);
      log(`release created: ${rel.url}`);
    } catch (err) {
      const msg = redactSecrets((err as Error).message);
      record.release = { error: msg };
      result.failures.push(`GitHub release failed: ${msg}`);
    }
  } else {
    record.release = { skipped: 'release: false' };
  }

  if (opts.receivers.length > 0) {
    const results = await publishToReceivers(opts.receivers, bundleFile, encodeEnvelopeHeader(envelope), {
      timeoutMs: opts.timeoutMs,
      retries: opts.retries,
      log,
    });
    record.receivers = results;
    for (const r of results) judge(r, releaseCreated, result);
  }
  return result;
}

function judge(r: ReceiverResult, releaseCreated: boolean, out: DeployFlowResult): void {
  if (r.outcome === 'ok') {
    out.deploymentId ??= r.reply.deploymentId;
  } else if (r.outcome === 'refused') {
    out.failures.push(
      `receiver ${r.receiver} refused the deployment: ${r.httpStatus} ${r.code}: ${r.message}`,
    );
  } else if (releaseCreated) {
    out.warnings.push(
      `receiver ${r.receiver} unreachable after ${r.attempts} attempt(s) (${r.message}); its poller will pick up the release`,
    );
  } else {
    out.failures.push(`receiver ${r.receiver} unreachable after ${r.attempts} attempt(s): ${r.message}`);
  }
}
