// Shared bench helpers: a real receiver process, signed releases built with the product's core, HTTP timing, /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packBundle } from '../core/bundle/index.js';
import { checkRepo } from '../core/check.js';
import { sha256 } from '../core/digest.js';
import {
  encodeEnvelopeHeader,
  generateKeyPair,
  parseSigningKey,
  signEnvelope,
  type SigningKey,
} from '../core/envelope/index.js';
import type { ReleasePayload } from '../core/payload.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'bin', 'skill-sync.js');
export const MB = 1024 * 1024;

/** One benchmark figure, as bench/validate.ts and bench/action.ts write it; no target = informational. */
export interface Figure {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: number;
  met?: boolean;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  // Nearest rank: p99 of 50 samples is the largest one.
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1] as number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function writeBenchJson(name: string, figures: Figure[]): Promise<void> {
  if (process.env.BENCH_JSON)
    await writeFile(process.env.BENCH_JSON, JSON.stringify({ name, figures }, null, 2) + '\n');
}

export function printFigures(figures: Figure[]): void {
  for (const f of figures) {
    const base = f.baseline !== undefined ? `, baseline ${f.baseline} ${f.unit}` : '';
    const ratio = f.ratio !== undefined ? `, ratio ${f.ratio}×` : '';
    const target = f.target !== undefined ? ` (target ${f.target}) ${f.met ? 'met' : 'MISSED'}` : ' (info)';
    process.stdout.write(`${f.metric}: ${f.value} ${f.unit}${base}${ratio}${target}\n`);
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------------------------
// The receiver process

export interface Receiver {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** The last 64 KiB the process printed, for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Starts `skill-sync receiver` on 127.0.0.1 (port 0) with a temp data dir and no reload or health hooks. */
export async function startReceiver(opts: {
  dataDir: string;
  publicKeys: string;
  env?: Record<string, string>;
  /** Node flags; --expose-gc by default, as the image launches it (BENCH_NO_GC=1 leaves it out, for the A/B). */
  nodeFlags?: string[];
  /** The `skill-sync` bin to run (default this checkout's): another build's, for a before/after A/B. */
  cli?: string;
}): Promise<Receiver> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: opts.dataDir,
    SKILL_SYNC_PUBLIC_KEYS: opts.publicKeys,
    LOG_LEVEL: 'info',
    // The bench measures deploy throughput from one client, far above a CI job's per-minute rate limit.
    RATE_LIMIT_DEPLOYMENTS_PER_MIN: '0',
    ...opts.env,
  };
  const flags = opts.nodeFlags ?? (process.env.BENCH_NO_GC ? [] : ['--expose-gc']);
  const proc = spawn(process.execPath, [...flags, opts.cli ?? CLI, 'receiver'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 128 * 1024) out = out.slice(-64 * 1024);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start:\n${out.slice(-4000)}`)), 30_000);
    const check = () => {
      const m = /"port":(\d+)[^\n]*"msg":"receiver listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', check);
        resolve(Number(m[1]));
      }
    };
    proc.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`receiver exited with ${code} before listening:\n${out.slice(-4000)}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid as number,
    dataDir: opts.dataDir,
    tail: () => out.slice(-64 * 1024),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// /proc readings of the receiver

export async function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, own processes); false when the kernel refuses. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest reading in KiB. */
export function sampleRss(pid: number, everyMs = 5): { stop(): Promise<number> } {
  let peak = 0;
  let done = false;
  const loop = (async () => {
    while (!done) {
      try {
        peak = Math.max(peak, await procStatusKb(pid, 'VmRSS'));
      } catch {
        return;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Skill trees, bundles and signed releases

/** Deterministic PRNG (mulberry32): every run generates the same trees. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the skill reads input checks each field against the schema and writes a short report when a step fails it ' +
  'stops and says which value was wrong use references for details run the script with the path of the file ' +
  'config output table summary request response retry timeout header body budget cache index query page ' +
  'user agent tool result error warning source link date version release branch commit review test build'
).split(' ');

/** Prose-like Markdown of about `bytes` bytes (headings, sentences, the odd list item). */
export function prose(bytes: number, rand: () => number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = 6 + Math.floor(rand() * 14);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)] as string);
    const r = rand();
    const line =
      r < 0.08
        ? `## ${words.slice(0, 3).join(' ')}`
        : r < 0.2
          ? `- ${words.join(' ')}`
          : `${words.join(' ')}.`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

export interface SkillTreeOptions {
  skills: number;
  seed?: number;
  /** Changes every SKILL.md, so two variants of one tree differ in every skill. */
  variant?: string;
  /** [min, max] bytes of SKILL.md's body. */
  skillMd?: [number, number];
  /** Reference files per skill and [min, max] bytes of each. */
  references?: number;
  referenceBytes?: [number, number];
  /** Extra binary (incompressible, NUL-led so the scanner skips them) files per skill, each this size. */
  binaryFiles?: number;
  binaryBytes?: number;
}

/**
 * The 50 MB ingest's tree (bench/receiver.ts, bench/receiver-ab.ts): 50 skills × 4 incompressible 250,000-byte
 * files (under the 256,000-byte per-file limit), about 50 MB gzipped, under MAX_BUNDLE_BYTES (50 MiB).
 */
export const INGEST_TREE: SkillTreeOptions = {
  skills: 50,
  seed: 11,
  references: 0,
  binaryFiles: 4,
  binaryBytes: 250_000,
};

/** Writes `<root>/<skill>/{SKILL.md, scripts/run.sh, references/*}`; returns the bytes written. */
export async function writeSkillTree(root: string, o: SkillTreeOptions): Promise<number> {
  const rand = prng(o.seed ?? 7);
  const [mdMin, mdMax] = o.skillMd ?? [2_000, 8_000];
  const [refMin, refMax] = o.referenceBytes ?? [3_000, 12_000];
  const refs = o.references ?? 2;
  let total = 0;
  for (let i = 0; i < o.skills; i++) {
    const name = `skill-${String(i).padStart(4, '0')}`;
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'scripts'), { recursive: true });
    await mkdir(path.join(dir, 'references'), { recursive: true });
    const body = prose(mdMin + Math.floor(rand() * (mdMax - mdMin)), rand);
    const md =
      `---\nname: ${name}\ndescription: Handles task ${i}, reads the inputs, runs the script and reports.\n` +
      `version: 1.${i % 10}.0\n---\n\n# ${name}\n\n${o.variant ? `Revision ${o.variant}.\n\n` : ''}${body}`;
    const script = `#!/bin/sh\n# ${name}\nset -eu\necho "running ${name} $*"\n# ${prose(800 + Math.floor(rand() * 1200), rand).replace(/\n/g, '\n# ')}\n`;
    const files: [string, string | Buffer, number][] = [
      ['SKILL.md', md, 0o644],
      ['scripts/run.sh', script, 0o755],
    ];
    for (let r = 0; r < refs; r++) {
      const size = refMin + Math.floor(rand() * (refMax - refMin));
      files.push([`references/ref-${r}.md`, `# ${name} reference ${r}\n\n${prose(size, rand)}`, 0o644]);
    }
    for (let b = 0; b < (o.binaryFiles ?? 0); b++) {
      const blob = randomBytes(o.binaryBytes ?? 250_000);
      blob[0] = 0;
      files.push([`references/blob-${b}.bin`, blob, 0o644]);
    }
    for (const [rel, content, mode] of files) {
      await writeFile(path.join(dir, rel), content, { mode });
      total += Buffer.byteLength(content);
    }
  }
  return total;
}

export interface BenchKey {
  signing: SigningKey;
  /** The receiver's SKILL_SYNC_PUBLIC_KEYS value. */
  publicKeys: string;
}

export function benchKey(): BenchKey {
  const pair = generateKeyPair();
  return {
    signing: parseSigningKey(pair.privateKeyPem),
    publicKeys: pair.publicKeySetting.replace(/^SKILL_SYNC_PUBLIC_KEYS=/, ''),
  };
}

export interface Bundle {
  bytes: Buffer;
  skills: number;
}

/** Validates and packs a skills tree exactly as the Action does (errors are fatal: the bench needs clean input). */
export async function packTree(root: string, out: string): Promise<Bundle> {
  const checked = await checkRepo(root);
  const errors = checked.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(`bench skills invalid: ${JSON.stringify(errors.slice(0, 3))}`);
  await packBundle(root, checked.skills, out);
  return { bytes: await readFile(out), skills: checked.skills.length };
}

/** Signs a bundle as a release with the given serial; returns the Skill-Sync-Envelope header value. */
export function signRelease(bundle: Bundle, key: SigningKey, serial: number): string {
  const payload: ReleasePayload = {
    v: 1,
    repository: 'bench/skills',
    ref: 'refs/heads/main',
    commit: 'b'.repeat(40),
    serial,
    createdAt: new Date().toISOString(),
    trigger: 'push',
    bundle: { sha256: sha256(bundle.bytes), size: bundle.bytes.length },
    skills: bundle.skills,
  };
  return encodeEnvelopeHeader(signEnvelope(payload, [key]));
}

/** Strictly increasing serials starting now. */
export function serials(): () => number {
  let last = Date.now();
  return () => ++last;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP (node:http, loopback only)

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

/** One request on a fresh connection unless an agent is given; `ms` runs from the call to the last body byte. */
export function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    agent?: http.Agent;
    timeoutMs?: number;
  } = {},
): Promise<HttpResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1') throw new Error(`bench requests stay on loopback, not ${u.hostname}`);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: {
          ...opts.headers,
          ...(opts.body ? { 'content-length': String(opts.body.length) } : {}),
        },
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POST /v1/deployments with a signed header and the bundle bytes. */
export function postDeployment(url: string, header: string, body: Buffer): Promise<HttpResult> {
  return request(`${url}/v1/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip', 'skill-sync-envelope': header },
    body,
  });
}

export interface IngestRss {
  growthMb: number;
  beforeMb: number;
  peakMb: number;
  ms: number;
  method: string;
}

/**
 * Peak RSS growth of a running receiver while it streams, unpacks, checks and applies `big`, after one warm-up
 * deploy of `small` loaded every module the big one needs (bench/receiver.ts, bench/receiver-ab.ts).
 */
export async function measureIngestRss(
  rx: Receiver,
  small: Bundle,
  big: Bundle,
  key: BenchKey,
): Promise<IngestRss> {
  const next = serials();
  const warm = await postDeployment(rx.url, signRelease(small, key.signing, next()), small.bytes);
  if (warm.status !== 201) throw new Error(`warm-up deploy: HTTP ${warm.status} ${warm.body}`);
  await sleep(1000);
  const header = signRelease(big, key.signing, next());
  const beforeKb = await procStatusKb(rx.pid, 'VmRSS');
  const hwmReset = await resetPeakRss(rx.pid);
  const sampler = sampleRss(rx.pid, 5);
  const r = await postDeployment(rx.url, header, big.bytes);
  let peakKb = await sampler.stop();
  if (hwmReset) peakKb = Math.max(peakKb, await procStatusKb(rx.pid, 'VmHWM'));
  if (r.status !== 201)
    throw new Error(`50 MB deploy: HTTP ${r.status} ${r.body}\n${rx.tail().slice(-3000)}`);
  return {
    growthMb: ((peakKb - beforeKb) * 1024) / 1e6,
    beforeMb: (beforeKb * 1024) / 1e6,
    peakMb: (peakKb * 1024) / 1e6,
    ms: r.ms,
    method: hwmReset ? 'VmHWM after clear_refs, and VmRSS sampled every 5 ms' : 'VmRSS sampled every 5 ms',
  };
}
