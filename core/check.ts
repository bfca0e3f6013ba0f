// The one check pipeline (Action, CLI, receiver): discover skills, read each shipped file once, validate, scan.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint } from './digest.js';
import { sortFindings, type Finding } from './findings.js';
import { scanText } from './secrets/scan.js';
import type { Skill, SkillFile } from './skill.js';
import { mapLimit } from './skill/concurrency.js';
import { readShipped, type ShippedRead } from './skill/read.js';
import { discoverSkills, type DiscoveredSkill } from './skill/discover.js';
import { validateSkillMd, type SkillMdResult } from './skill/validate.js';
import type { Profile } from './skill/profiles.js';
import { validateSyncManifest } from './sync/manifest.js';

export type { Profile } from './skill/profiles.js';

export interface CheckOptions {
  profile?: Profile;
  requiredFields?: string[];
  /** Per-file limit in bytes (default 256,000: OpenClaw's maxSkillFileBytes). */
  maxFileSize?: number;
  /** Data root that SYNC.json `outputFile`s must stay under (default '/data'). */
  dataRoot?: string;
}

export interface CheckResult {
  root: string;
  skills: Skill[];
  /** Sorted with sortFindings. */
  findings: Finding[];
}

export const DEFAULT_MAX_FILE_SIZE = 256_000;
/** Parallel file reads: enough to keep the disk busy, few enough to bound memory (each ≤ maxFileSize). */
const READ_CONCURRENCY = 48;
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
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const dataRoot = opts.dataRoot ?? '/data';

  const { skills: found, allowFingerprints } = await discoverSkills(absRoot);
  const scanOpts = { allowFingerprints };

  // One flat job list over every shipped file, read by a fixed pool: bounded memory and no queue churn.
  const jobs: { skill: number; rel: string }[] = [];
  found.forEach((d, skill) => d.files.forEach((rel) => jobs.push({ skill, rel })));
  const perSkill = found.map(() => ({
    findings: [] as Finding[],
    meta: undefined as SkillMdResult | undefined,
  }));

  const files = await mapLimit(
    jobs,
    READ_CONCURRENCY,
    async ({ skill, rel }): Promise<SkillFile | undefined> => {
      const d = found[skill] as DiscoveredSkill;
      const acc = perSkill[skill] as (typeof perSkill)[number];
      const file = d.dir ? `${d.dir}/${rel}` : rel;
      let read: ShippedRead;
      try {
        read = await readShipped(path.join(absRoot, file), maxFileSize);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        acc.findings.push({
          severity: 'error',
          rule: 'file/unreadable',
          file,
          line: 0,
          column: 0,
          message: `cannot read file (${code})`,
        });
        return undefined;
      }
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
        if (text !== undefined) acc.findings.push(...scanText(text, file, scanOpts));
        if (rel === SYNC_FILE) {
          const skillDir = path.join(absRoot, d.dir);
          acc.findings.push(
            ...validateSyncManifest(text ?? bytes.toString('utf8'), { file, skillDir, dataRoot }).findings,
          );
        }
      }
      return { path: rel, sha256: read.sha256, size: read.size, mode: read.mode };
    },
  );

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
      const others = files.filter((_, j) => j !== i).join(', ');
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
    all.push(...c.findings);
  }
  return { root: absRoot, skills: checked.map((c) => c.skill), findings: sortFindings(all) };
}
