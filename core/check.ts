// The one check pipeline (Action, CLI, receiver): discover skills, read each shipped file once, validate, scan.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint } from './digest.js';
import { sortFindings, type Finding } from './findings.js';
import { scanText } from './secrets/scan.js';
import type { Skill, SkillFile } from './skill.js';
import { discoverSkills, type DiscoveredSkill } from './skill/discover.js';
import { openTreeIO, type FileRead, type TreeReader } from './tree-io.js';
import { validateSkillMd, type SkillMdResult } from './skill/validate.js';
import type { Profile } from './skill/profiles.js';
import { validateSyncManifest } from './sync/manifest.js';
import { released } from './memory.js';

export type { Profile } from './skill/profiles.js';

export interface CheckOptions {
  profile?: Profile;
  requiredFields?: string[];
  /** Per-file limit in bytes (default 256,000: OpenClaw's maxSkillFileBytes). */
  maxFileSize?: number;
  /** Data root that SYNC.json `outputFile`s must stay under (default '/data'). */
  dataRoot?: string;
  /** Prefix for every path in findings (files and messages), e.g. `skills` when the root is a repo's subfolder. */
  pathPrefix?: string;
  /**
   * Keep up to this many bytes of checked file contents in the result (default 0: none), so a pack that follows
   * ships exactly the bytes that were checked without reading the tree a second time.
   */
  retainBytes?: number;
  /** gitignore patterns relative to the root (`.skillsync.yml` `ignore`): neither checked nor shipped. */
  ignore?: string[];
  /** Where to read the tree (default: the disk, through the I/O worker); the caller vouches that root exists. */
  tree?: TreeReader;
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

export const DEFAULT_MAX_FILE_SIZE = 256_000;
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
  if (opts.tree) return check(absRoot, opts, opts.tree);
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
  const readOpts = { maxBytes: maxFileSize, hashLarge: true, noFollow: false };
  const contents = new Map<string, Buffer>();
  let retainLeft = opts.retainBytes ?? 0;
  // Sizes are unknown until read: the batch size follows the mean file size seen so far.
  // The first batch, before any size is known, assumes files at the cap: 64 of 256 KB would be 16 MB in one
  // reply, half the receiver's memory budget for a 50 MB bundle.
  let batch = Math.max(1, Math.min(READ_BATCH, Math.floor(READ_BATCH_BYTES / maxFileSize)));
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
    if (contents.size === kept) released(bytes);
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
    const bytes = read.bytes;
    if (!bytes) {
      acc.findings.push({
        severity: 'error',
        rule: 'file/too-large',
        file,
        line: 0,
        column: 0,
        message: `${read.size} bytes is over the per-file limit of ${maxFileSize} bytes${rel === SKILL_FILE ? ' (the gateway will not load this skill)' : ''}`,
        fix: 'split the file into references/, or raise the limit (--max-file-size / max-file-size)',
      });
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
        const secrets = scanText(text, file, scanOpts);
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
            ...(io.stat ? { stat: io.stat } : {}),
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

  // Duplicate names: the gateway keeps one and silently drops the other, so both are errors naming each other.
  const byName = new Map<string, typeof checked>();
  for (const c of checked) {
    const list = byName.get(c.skill.name);
    if (list) list.push(c);
    else byName.set(c.skill.name, [c]);
  }
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    const files = group.map((c) => (c.skill.path ? `${c.skill.path}/${SKILL_FILE}` : SKILL_FILE));
    group.forEach((c, i) => {
      const others = files
        .filter((_, j) => j !== i)
        .map(shown)
        .join(', ');
      c.findings.push({
        severity: 'error',
        rule: 'skill/duplicate-name',
        file: files[i] as string,
        ...c.namePosition,
        message: `skill name '${c.skill.name}' is also used by ${others}`,
        fix: 'rename one of the skills, or exclude the copy in .skillsyncignore',
      });
    });
  }

  const all: Finding[] = [];
  for (const c of checked) {
    c.findings = redactFixes(c.findings);
    c.skill.valid = !c.findings.some((f) => f.severity === 'error');
    all.push(...c.findings.map((f) => ({ ...f, file: shown(f.file) })));
  }
  return { root: absRoot, skills: checked.map((c) => c.skill), findings: sortFindings(all), contents };
}
