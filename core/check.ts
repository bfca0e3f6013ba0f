// The one check pipeline (Action, CLI, receiver): discover skills, read each shipped file once, validate, scan.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint } from './digest.js';
import { sortFindings, type Finding } from './findings.js';
import { scanText } from './secrets/scan.js';
import type { Skill, SkillFile } from './skill/model.js';
import { discoverSkills, type DiscoveredSkill } from './skill/discover.js';
import { openTreeIO, type FileRead, type TreeReader } from './tree-io.js';
import { validateSkillMd, type SkillMdResult } from './skill/validate.js';
import type { Profile } from './skill/profiles.js';
import { validateSyncManifest } from './sync/sync-manifest.js';
import { gatewayFindings, type GatewayOptions } from './gateway/verdict.js';
import { GATEWAY_LIMITS } from './gateway/discovery.js';
import { DEFAULT_MAX_FILE_BYTES } from './bundle/limits.js';

export type { Profile } from './skill/profiles.js';

export interface CheckOptions extends GatewayOptions {
  profile?: Profile;
  requiredFields?: string[];
  /**
   * Per-file limit in bytes for every file but SKILL.md (default DEFAULT_MAX_FILE_BYTES, the receiver's unpack limit).
   * SKILL.md always has the gateway's own 256,000 bytes.
   */
  maxFileSize?: number;
  /** Data root that SYNC.json `outputFile`s must stay under (default '/data'). */
  dataRoot?: string;
  /** Folders SYNC.json `outputFile`s must stay out of (default: the engine's and the skills' under dataRoot). */
  protectedPaths?: readonly string[];
  /** Prefix for every path in findings (files and messages), e.g. `skills` when the root is a repo's subfolder. */
  pathPrefix?: string;
  /**
   * Keep up to this many bytes of checked file contents in the result (default 0: none), so a pack that follows
   * ships exactly the bytes that were checked without reading the tree a second time.
   */
  retainBytes?: number;
  /** gitignore patterns relative to the root (`.skillsync.yml` `ignore`): neither checked nor shipped. */
  ignore?: string[];
}

/** Checked file contents by path relative to the root (`<skill dir>/<file>`), as read for the check. */
export type FileContents = ReadonlyMap<string, Buffer>;

export interface CheckResult {
  root: string;
  skills: Skill[];
  /** Sorted with sortFindings. */
  findings: Finding[];
  /** What `retainBytes` allowed to keep: files missing from it are read again by the packer. */
  contents: FileContents;
}

export const DEFAULT_MAX_FILE_SIZE = DEFAULT_MAX_FILE_BYTES;
/** The gateway's maxSkillFileBytes: it does not read a bigger SKILL.md, so the skill never loads. */
export const SKILL_FILE_MAX_BYTES = GATEWAY_LIMITS.maxSkillFileBytes;
/**
 * What a check followed by a pack keeps in memory at most (`retainBytes`): the whole tree of any repo that makes
 * a sane bundle, so it is read once. A bigger tree has its remaining files read again by the packer.
 */
export const PACK_RETAIN_BYTES = 256 * 1024 * 1024;
/** Files per read batch at most: few round trips to the I/O worker. */
const READ_BATCH = 64;
/** Bytes per read batch, roughly: batches of big files shrink so memory stays bounded (each file ≤ maxFileSize). */
const READ_BATCH_BYTES = 2 * 1024 * 1024;
/** Batches requested ahead of the one being checked. */
const READ_AHEAD = 1;
/** A NUL in the first 8 KiB marks a binary file (git's heuristic): hashed and shipped, not scanned. */
const BINARY_SNIFF = 8192;
const SKILL_FILE = 'SKILL.md';
const SYNC_FILE = 'SYNC.json';

export class CheckError extends Error {
  constructor(
    readonly code: 'root-missing' | 'root-not-dir',
    message: string,
  ) {
    super(message);
  }
}

function isText(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF).indexOf(0) === -1;
}

/** Fixes that quote a source line must not repeat a secret the scanner found on that line. */
function redactFixes(findings: Finding[]): Finding[] {
  const secretLines = new Set(
    findings.filter((f) => f.rule.startsWith('secret/')).map((f) => `${f.file}:${f.line}`),
  );
  if (secretLines.size === 0) return findings;
  return findings.map((f) =>
    f.fix && !f.rule.startsWith('secret/') && secretLines.has(`${f.file}:${f.line}`)
      ? { ...f, fix: 'quote the value (fix not shown: the line holds a secret)' }
      : f,
  );
}

export async function checkRepo(root: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const absRoot = path.resolve(root);
  const st = await stat(absRoot).catch(() => undefined);
  if (!st) throw new CheckError('root-missing', `skills folder not found: ${root}`);
  if (!st.isDirectory()) throw new CheckError('root-not-dir', `not a folder: ${root}`);
  const io = openTreeIO();
  try {
    return await check(absRoot, opts, io);
  } finally {
    await io.close();
  }
}

async function check(absRoot: string, opts: CheckOptions, io: TreeReader): Promise<CheckResult> {
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  // Findings speak in the user's paths (relative to the repo), skills in the root's (what gets packed).
  const shown = (p: string) => (opts.pathPrefix ? `${opts.pathPrefix}/${p}` : p);
  const dataRoot = opts.dataRoot ?? '/data';
  const { skills: found, allowFingerprints } = await discoverSkills(absRoot, { io, ignore: opts.ignore });
  const scanOpts = { allowFingerprints };

  // One flat job list over every shipped file, read in batches: the next batch is read (and hashed) by the I/O
  // worker while this thread validates and scans the current one.
  const jobs: { skill: number; rel: string; file: string }[] = [];
  found.forEach((d, skill) =>
    d.files.forEach((rel) => jobs.push({ skill, rel, file: d.dir ? `${d.dir}/${rel}` : rel })),
  );
  const perSkill = found.map(() => ({
    findings: [] as Finding[],
    meta: undefined as SkillMdResult | undefined,
  }));
  const readOpts = {
    maxBytes: Math.max(maxFileSize, SKILL_FILE_MAX_BYTES),
    hashLarge: true,
    noFollow: false,
  };
  const contents = new Map<string, Buffer>();
  let retainLeft = opts.retainBytes ?? 0;
  // Sizes are unknown until read: the batch size follows the mean file size seen so far.
  // The first batch, before any size is known, assumes files at the cap: 64 of 256 KB would be 16 MB in one
  // reply, half the receiver's memory budget for a 50 MB bundle.
  let batch = Math.max(1, Math.min(READ_BATCH, Math.floor(READ_BATCH_BYTES / readOpts.maxBytes)));
  const files: (SkillFile | undefined)[] = [];
  const inFlight: { from: number; reads: Promise<FileRead[]> }[] = [];
  let next = 0;
  const request = () => {
    const from = next;
    const reads = io.readFiles(
      jobs.slice(from, from + batch).map((j) => path.join(absRoot, j.file)),
      readOpts,
    );
    // A failure below drops the batches still in flight: mark them handled.
    reads.catch(() => undefined);
    inFlight.push({ from, reads });
    next = Math.min(jobs.length, from + batch);
  };
  while (next < jobs.length && inFlight.length < READ_AHEAD) request();
  while (inFlight.length > 0) {
    const head = inFlight.shift() as (typeof inFlight)[number];
    const reads = await head.reads;
    const bytes = reads.reduce((n, r) => n + (r.bytes?.length ?? 0), 0);
    batch = Math.max(
      1,
      Math.min(READ_BATCH, Math.floor(READ_BATCH_BYTES / Math.max(1, bytes / reads.length))),
    );
    if (next < jobs.length) request();
    const kept = contents.size;
    reads.forEach((read, k) => files.push(checkFile(jobs[head.from + k] as (typeof jobs)[number], read)));
    // Unless kept for the pack (its files are views on one buffer), the batch is garbage once checked: only
    // small parts, such as frontmatter, outlive it.
    if (contents.size === kept) io.released?.(bytes);
  }

  function checkFile({ skill, rel, file }: (typeof jobs)[number], read: FileRead): SkillFile | undefined {
    const d = found[skill] as DiscoveredSkill;
    const acc = perSkill[skill] as (typeof perSkill)[number];
    if (read.error !== undefined || !read.isFile) {
      acc.findings.push({
        severity: 'error',
        rule: 'file/unreadable',
        file,
        line: 0,
        column: 0,
        message: `cannot read file (${read.error ?? 'not a regular file'})`,
      });
      return undefined;
    }
    const mode = read.mode & 0o100 ? 0o755 : 0o644;
    const limit = rel === SKILL_FILE ? SKILL_FILE_MAX_BYTES : maxFileSize;
    const bytes = read.size > limit ? undefined : read.bytes;
    if (!bytes) {
      acc.findings.push(
        rel === SKILL_FILE
          ? {
              severity: 'error',
              rule: 'file/too-large',
              file,
              line: 0,
              column: 0,
              message: `SKILL.md is ${read.size} bytes; the gateway reads at most ${SKILL_FILE_MAX_BYTES} (skills.limits.maxSkillFileBytes) and drops this skill`,
              fix: 'move long sections into references/ files and link them from SKILL.md',
            }
          : {
              severity: 'error',
              rule: 'file/too-large',
              file,
              line: 0,
              column: 0,
              message: `${read.size} bytes is over the per-file limit of ${maxFileSize} bytes`,
              fix: 'keep large assets out of the skill, or raise the limit on both sides (max-file-size / MAX_FILE_SIZE)',
            },
      );
    } else {
      if (rel === SKILL_FILE) {
        acc.meta = validateSkillMd(bytes, {
          file,
          folderName: d.dir ? path.posix.basename(d.dir) : path.basename(absRoot),
          ...(opts.profile ? { profile: opts.profile } : {}),
          ...(opts.requiredFields ? { requiredFields: opts.requiredFields } : {}),
        });
        acc.findings.push(...acc.meta.findings);
      }
      const text = isText(bytes) ? bytes.toString('utf8') : undefined;
      if (text !== undefined) {
        const secrets = scanText(text, file, { ...scanOpts, utf8: bytes });
        if (secrets.length) acc.findings.push(...secrets);
      }
      if (retainLeft > 0 && bytes.length <= retainLeft) {
        contents.set(file, bytes);
        retainLeft -= bytes.length;
      }
      if (rel === SYNC_FILE) {
        const skillDir = path.join(absRoot, d.dir);
        acc.findings.push(
          ...validateSyncManifest(text ?? bytes.toString('utf8'), {
            file,
            skillDir,
            dataRoot,
            ...(opts.protectedPaths ? { protectedPaths: opts.protectedPaths } : {}),
          }).findings,
        );
      }
    }
    return { path: rel, sha256: read.sha256, size: read.size, mode };
  }

  let cursor = 0;
  const checked = found.map((d, i) => {
    const { findings, meta } = perSkill[i] as (typeof perSkill)[number];
    const shipped: SkillFile[] = [];
    for (let k = 0; k < d.files.length; k++) {
      const f = files[cursor++];
      if (f) shipped.push(f);
    }
    for (const link of d.symlinks) {
      findings.push({
        severity: 'error',
        rule: 'file/symlink',
        file: d.dir ? `${d.dir}/${link}` : link,
        line: 0,
        column: 0,
        message: 'symlink inside a skill: bundles carry only regular files',
        fix: 'replace the link with a copy of the file, or add it to .skillsyncignore',
      });
    }
    const fp = fingerprint(shipped);
    const skill: Skill = {
      name: meta?.name ?? (d.dir ? path.posix.basename(d.dir) : path.basename(absRoot)),
      path: d.dir,
      version: meta?.version ?? fp,
      versionSource: meta?.version ? 'frontmatter' : 'fingerprint',
      fingerprint: fp,
      ...(meta?.description ? { description: meta.description } : {}),
      files: shipped,
      valid: true,
    };
    return { skill, findings, namePosition: meta?.namePosition ?? { line: 1, column: 1 } };
  });

  // Nested SKILL.md files are plain files of their skill: the gateway never searches inside a skill.
  checked.forEach((c, i) => {
    const d = found[i] as DiscoveredSkill;
    for (const n of d.nested) {
      c.findings.push({
        severity: 'warning',
        rule: 'gateway/nested-skill',
        file: d.dir ? `${d.dir}/${n}` : n,
        line: 1,
        column: 1,
        message: `inside skill '${c.skill.name}': the gateway never searches inside a skill folder, so this is not a skill of its own (it ships as a file of '${c.skill.name}')`,
        fix: `move ${path.posix.dirname(n)}/ next to ${d.dir ? path.posix.basename(d.dir) : 'the skill'}/ to make it a skill`,
      });
    }
  });

  // The gateway's view of the whole set once deployed: what it never reads, caps, names it already has, duplicates.
  const verdicts = gatewayFindings(
    checked.map((c, i) => ({
      dir: c.skill.path,
      name: c.skill.name,
      ...(c.skill.description ? { description: c.skill.description } : {}),
      files: c.skill.files.map((f) => f.path),
      loads: perSkill[i]?.meta?.loads === true && c.skill.files.some((f) => f.path === SKILL_FILE),
      nameAt: c.namePosition,
    })),
    opts,
    shown,
  );
  checked.forEach((c, i) => c.findings.push(...(verdicts[i] ?? [])));

  const all: Finding[] = [];
  for (const c of checked) {
    c.findings = redactFixes(c.findings);
    c.skill.valid = !c.findings.some((f) => f.severity === 'error');
    all.push(...c.findings.map((f) => ({ ...f, file: shown(f.file) })));
  }
  return { root: absRoot, skills: checked.map((c) => c.skill), findings: sortFindings(all), contents };
}
