// Builds signed releases for receiver tests with the product's own core: skills tree → bundle → envelope.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packBundle } from '../../core/bundle/index.js';
import { checkRepo } from '../../core/check.js';
import { sha256 } from '../../core/digest.js';
import {
  encodeEnvelopeHeader,
  generateKeyPair,
  nextSerial,
  parseSigningKey,
  signEnvelope,
  type SigningKey,
} from '../../core/envelope/index.js';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import { tempDir } from './receiver.js';

export interface TestKey {
  signing: SigningKey;
  /** The receiver's SKILL_SYNC_PUBLIC_KEYS value. */
  publicKeys: string;
  privateKeyPem: string;
}

export function ed25519Key(): TestKey {
  const pair = generateKeyPair();
  return {
    signing: parseSigningKey(pair.privateKeyPem),
    publicKeys: pair.publicKeySetting.replace(/^SKILL_SYNC_PUBLIC_KEYS=/, ''),
    privateKeyPem: pair.privateKeyPem,
  };
}

export interface SkillSpec {
  version?: string;
  description?: string;
  body?: string;
  files?: Record<string, string>;
}

/** Writes skills as `<root>/<name>/SKILL.md` plus extra files. */
export async function writeSkills(root: string, skills: Record<string, SkillSpec>): Promise<void> {
  for (const [name, spec] of Object.entries(skills)) {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    const fm = [`name: ${name}`, `description: ${spec.description ?? `The ${name} skill for tests.`}`];
    if (spec.version) fm.push(`version: ${spec.version}`);
    await writeFile(
      path.join(dir, 'SKILL.md'),
      `---\n${fm.join('\n')}\n---\n\n${spec.body ?? `# ${name}\n`}`,
    );
    for (const [rel, content] of Object.entries(spec.files ?? {})) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      // Like a real checkout: scripts with a shebang are executable.
      await writeFile(path.join(dir, rel), content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
    }
  }
}

export interface SignedRelease {
  bundle: Buffer;
  envelope: Envelope;
  header: string;
  payload: ReleasePayload;
}

/** Signs arbitrary bundle bytes (hostile ones included) as a release. */
export function signBundle(
  bundle: Buffer,
  keys: SigningKey[],
  opts: { serial?: number; skills?: number; payloadOverride?: Partial<ReleasePayload> } = {},
): SignedRelease {
  const payload: ReleasePayload = {
    v: 1,
    repository: 'acme/skills',
    ref: 'refs/heads/main',
    commit: 'a'.repeat(40),
    serial: opts.serial ?? nextSerial(),
    createdAt: new Date().toISOString(),
    trigger: 'push',
    bundle: { sha256: sha256(bundle), size: bundle.length },
    skills: opts.skills ?? 1,
    ...opts.payloadOverride,
  };
  const envelope = signEnvelope(payload, keys);
  return { bundle, envelope, header: encodeEnvelopeHeader(envelope), payload };
}

/** Validates, packs and signs a skills tree exactly as the Action does. */
export async function buildRelease(
  skills: Record<string, SkillSpec>,
  key: SigningKey,
  opts: { serial?: number } = {},
): Promise<SignedRelease> {
  const root = await tempDir('skill-sync-src-');
  await writeSkills(root, skills);
  const checked = await checkRepo(root);
  const errors = checked.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(`test skills invalid: ${JSON.stringify(errors)}`);
  const out = path.join(root, '..', `${path.basename(root)}.tar.gz`);
  await packBundle(root, checked.skills, out);
  return signBundle(await readFile(out), [key], { serial: opts.serial, skills: checked.skills.length });
}

export async function postBundle(
  url: string,
  rel: { bundle: Buffer; header?: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/deployments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/gzip',
      ...(rel.header !== undefined ? { 'skill-sync-envelope': rel.header } : {}),
      ...headers,
    },
    body: rel.bundle,
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}
