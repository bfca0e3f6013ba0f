// Test helpers for the apply engine: build staging trees with manifests, walk live trees, record HTTP calls.
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fingerprint, sha256 } from '../../core/digest.js';
import { MANIFEST_FILE, type BundleManifest } from '../../core/bundle-manifest.js';
import type { SkillFile } from '../../core/skill/model.js';
import type { DeploymentMeta } from '../../receiver/engine/index.js';

/** skill name → relative file path → content (a leading `#!` makes it executable). */
export type TreeSpec = Record<string, Record<string, string>>;

const made: string[] = [];

/**
 * A fresh temp folder, removed by removeTempDirs(). `fast` puts it on tmpfs when there is one: the crash
 * harness kills processes (SIGKILL keeps the page cache), so fsync cost adds nothing to what it proves.
 */
export async function tempDir(prefix = 'skill-sync-engine-', fast = false): Promise<string> {
  const base = fast && existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = await mkdtemp(path.join(base, prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function manifestOf(spec: TreeSpec): BundleManifest {
  const skills = Object.keys(spec)
    .sort()
    .map((name) => {
      const files: SkillFile[] = Object.entries(spec[name] ?? {})
        .map(([p, content]) => ({
          path: p,
          sha256: sha256(content),
          size: Buffer.byteLength(content),
          mode: content.startsWith('#!') ? 0o755 : 0o644,
        }))
        .sort((a, b) => (a.path < b.path ? -1 : 1));
      const fp = fingerprint(files);
      return { name, version: fp, path: `skills/${name}`, source: `skills/${name}`, fingerprint: fp, files };
    });
  return { v: 1, skills };
}

/** Writes an unpacked bundle (skill-sync.json + skills/<name>/…) into dir, like the unpacker does. */
export async function writeBundleTree(dir: string, spec: TreeSpec): Promise<BundleManifest> {
  const manifest = manifestOf(spec);
  await mkdir(path.join(dir, 'skills'), { recursive: true });
  for (const [name, files] of Object.entries(spec)) {
    for (const [p, content] of Object.entries(files)) {
      const f = path.join(dir, 'skills', name, p);
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, content);
      await chmod(f, content.startsWith('#!') ? 0o755 : 0o644);
    }
  }
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  return manifest;
}

let seq = 0;
export function metaFor(serial: number, spec: TreeSpec, id?: string): DeploymentMeta {
  return {
    deploymentId: id ?? `d${serial}-${++seq}`,
    serial,
    digest: sha256(JSON.stringify(manifestOf(spec))),
    repository: 'acme/skills',
    ref: 'refs/heads/main',
    commit: 'c'.repeat(40),
    trigger: 'push',
  };
}

/**
 * Independent walk of a live folder (follows the root link only): path → `sha256:x|exec`.
 * Anything that is not a regular file or a folder shows up as `other`, so it fails every comparison.
 */
export async function liveTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const st = await stat(root).catch(() => null);
  if (!st) return out;
  const visit = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const s = await lstat(path.join(root, r));
      if (s.isDirectory()) {
        const before = Object.keys(out).length;
        await visit(r);
        if (Object.keys(out).length === before) out[`${r}/`] = 'empty-dir';
      } else if (s.isFile()) {
        out[r] = `${sha256(await readFile(path.join(root, r)))}|${(s.mode & 0o100) !== 0 ? 'x' : '-'}`;
      } else out[r] = 'other';
    }
  };
  await visit('');
  return out;
}

export function expectedTree(spec: TreeSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, files] of Object.entries(spec)) {
    for (const [p, content] of Object.entries(files)) {
      out[`${name}/${p}`] = `${sha256(content)}|${content.startsWith('#!') ? 'x' : '-'}`;
    }
  }
  return out;
}

export interface Recorder {
  url: string;
  calls: { method: string; path: string; body: string }[];
  status: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records requests and answers with `status`. */
export async function recorder(status = 200): Promise<Recorder> {
  const rec: Recorder = { url: '', calls: [], status, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      rec.calls.push({ method: req.method ?? '', path: req.url ?? '', body });
      res.statusCode = rec.status;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () => new Promise<void>((r) => server.close(() => r()));
  return rec;
}

export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const A: TreeSpec = {
  alpha: { 'SKILL.md': '---\nname: alpha\n---\nA1\n', 'scripts/run.sh': '#!/bin/sh\necho a1\n' },
  beta: { 'SKILL.md': '---\nname: beta\n---\nB1\n', 'references/notes.md': 'notes b1\n' },
};

/** From A: alpha changed, beta removed, gamma added. */
export const B: TreeSpec = {
  alpha: { 'SKILL.md': '---\nname: alpha\n---\nA2\n', 'scripts/run.sh': '#!/bin/sh\necho a2\n' },
  gamma: { 'SKILL.md': '---\nname: gamma\n---\nG1\n', 'assets/x.txt': 'x\n' },
};

export const C: TreeSpec = {
  alpha: { 'SKILL.md': '---\nname: alpha\n---\nA2\n', 'scripts/run.sh': 'no longer executable\n' },
  gamma: { 'SKILL.md': '---\nname: gamma\n---\nG1\n' },
  delta: { 'SKILL.md': '---\nname: delta\n---\nD1\n' },
};
