// Test harness for the Action: run the built dist/ as the runner does, and stub receivers on 127.0.0.1.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { base62Crc32 } from '../../core/secrets/checksum.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(REPO, 'dist', 'index.js');

/** dist/ is rebuilt from the sources by the global setup (test/setup/global.ts); fail clearly if it is missing. */
export async function ensureDist(): Promise<void> {
  await stat(DIST);
}

export interface SkillSpec {
  /** Folder relative to the skills root. */
  dir: string;
  /** Full SKILL.md text. */
  skillMd: string;
  files?: Record<string, string>;
}

export function skillMd(name: string, fields: Record<string, string> = {}, body = 'Body.\n'): string {
  const all = { name, description: `The ${name} skill.`, ...fields };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`);
  return `---\n${lines.join('\n')}\n---\n\n# ${name}\n\n${body}`;
}

export async function tempDir(prefix = 'skill-sync-action-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function writeSkills(root: string, specs: SkillSpec[]): Promise<void> {
  for (const s of specs) {
    const dir = path.join(root, s.dir);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'SKILL.md'), s.skillMd);
    for (const [rel, text] of Object.entries(s.files ?? {})) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
  }
}

export interface WorkflowCommand {
  command: string;
  props: Record<string, string>;
  message: string;
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  summary: string;
  report: unknown;
  reportText: string;
  runnerTemp: string;
}

/** The runner's escaping of workflow command data and properties (actions/toolkit command.ts), undone. */
function unescape(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

export function parseCommands(stdout: string): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const i = kv.indexOf('=');
      props[kv.slice(0, i)] = unescape(kv.slice(i + 1));
    }
    out.push({ command: m[1] ?? '', props, message: unescape(m[3] ?? '') });
  }
  return out;
}

/** GITHUB_OUTPUT uses `name<<delimiter\nvalue\ndelimiter` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] ?? ''] = m[3] ?? '';
  return out;
}

/**
 * What the log shows: the runner consumes `::add-mask::` lines (that is how a value gets masked) and never
 * displays them, so secret checks look at everything else.
 */
export function visibleLog(run: Pick<ActionRun, 'stdout' | 'stderr'>): string {
  return (run.stdout + run.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

export interface RunOptions {
  workspace: string;
  inputs: Record<string, string>;
  event?: string;
  eventPayload?: unknown;
  env?: Record<string, string>;
}

/** Runs `node dist/index.js` with the variables the runner sets: INPUT_<NAME> keeps dashes, uppercases. */
export async function runAction(o: RunOptions): Promise<ActionRun> {
  const runnerTemp = await tempDir('skill-sync-runner-');
  const outputFile = path.join(runnerTemp, 'github_output');
  const summaryFile = path.join(runnerTemp, 'step_summary.md');
  const eventFile = path.join(runnerTemp, 'event.json');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  await writeFile(eventFile, JSON.stringify(o.eventPayload ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: o.event ?? 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: 'acme/skills',
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: runnerTemp,
    ...o.env,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const child = spawn(process.execPath, [DIST], { cwd: o.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
  const reportText = outputs['report-path']
    ? await readFile(outputs['report-path'], 'utf8').catch(() => '')
    : '';
  return {
    code,
    stdout,
    stderr,
    commands: parseCommands(stdout),
    outputs,
    summary: await readFile(summaryFile, 'utf8'),
    report: reportText ? JSON.parse(reportText) : undefined,
    reportText,
    runnerTemp,
  };
}

export interface RecordedPost {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export type Responder = (
  req: RecordedPost,
  index: number,
) => { status: number; headers?: Record<string, string>; body?: unknown };

export interface StubReceiver {
  url: string;
  requests: RecordedPost[];
  close(): Promise<void>;
}

/** A real HTTP server that records every request in full and answers what the test scripts. */
export async function startStubReceiver(respond: Responder): Promise<StubReceiver> {
  const requests: RecordedPost[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedPost = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      requests.push(rec);
      const r = respond(rec, requests.length - 1);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const accepted: Responder = (req) => ({
  status: 201,
  body: {
    deploymentId: `dep-${createHash('sha256').update(req.body).digest('hex').slice(0, 8)}`,
    status: 'success',
  },
});

/** A TCP port that refuses connections: bind, read the port, close. */
export async function deadUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function ed25519Key(): { privatePem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}

export interface DecodedEnvelope {
  payloadType: string;
  payloadBytes: Buffer;
  payload: {
    v: number;
    repository: string;
    ref: string;
    commit: string;
    serial: number;
    trigger: string;
    bundle: { sha256: string; size: number };
    skills: number;
  };
  signatures: { keyid: string; sig: string }[];
}

/** The `Skill-Sync-Envelope` header: base64url of the envelope JSON. */
export function decodeEnvelopeHeader(header: string): DecodedEnvelope {
  const env = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
    payload: string;
    payloadType: string;
    signatures: { keyid: string; sig: string }[];
  };
  const payloadBytes = Buffer.from(env.payload, 'base64');
  return {
    payloadType: env.payloadType,
    payloadBytes,
    payload: JSON.parse(payloadBytes.toString('utf8')),
    signatures: env.signatures,
  };
}

/** DSSE PAE, computed here independently of core/envelope so the test checks the contract, not the code. */
export function verifyEd25519(env: DecodedEnvelope, publicKey: KeyObject): boolean {
  const type = Buffer.from(env.payloadType);
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${env.payloadBytes.length} `),
    env.payloadBytes,
  ]);
  return env.signatures.some((s) =>
    verify(
      null,
      pae,
      createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
      Buffer.from(s.sig, 'base64'),
    ),
  );
}

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A GitHub classic PAT shape with a valid CRC32 tail, so the scanner treats it as real. Never a live token. */
export function plantedGithubToken(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * 62)];
  return `ghp_${body}${base62Crc32(body)}`;
}
