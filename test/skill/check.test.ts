// The check pipeline on real temp trees: discovery, ignore rules, files/modes/fingerprints, duplicates, scanning.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRepo, CheckError, type CheckResult } from '../../core/check.js';
import { fingerprint, sha256 } from '../../core/digest.js';
import { FAKE_AWS_KEY, makeFixtureRepo } from './fixture-repo.js';
import { makeTree, skillMd } from './tree.js';

const roots: string[] = [];
async function tree(files: Parameters<typeof makeTree>[0]) {
  const root = await makeTree(files);
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
const rulesOf = (r: CheckResult, file?: string) =>
  r.findings
    .filter((f) => !file || f.file === file)
    .map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`);

describe('fixture repo (what real skill repos contain)', () => {
  let r: CheckResult;
  beforeAll(async () => {
    const root = await makeFixtureRepo();
    roots.push(root);
    r = await checkRepo(root);
  });
  const skill = (p: string) => r.skills.find((s) => s.path === p);

  it('discovers exactly the skills the walk should, skipping junk, ignored and too-deep folders', () => {
    expect(r.skills.map((s) => s.path)).toEqual([
      'a/b/c/d/e/deep6',
      'notes',
      'skills/big-handbook',
      'skills/crlf-skill',
      'skills/deployer',
      'skills/linked',
      'skills/listy',
      'skills/summarize',
      'skills/toolkit',
      'skills/web-search',
      'web-search',
    ]);
  });

  it('accepts what the gateway loads: a repaired description (warning), CRLF, a 70 KB SKILL.md, a list description', () => {
    for (const p of [
      'skills/summarize',
      'skills/crlf-skill',
      'skills/big-handbook',
      'skills/toolkit',
      'skills/listy',
      'a/b/c/d/e/deep6',
    ]) {
      expect(skill(p)?.valid, p).toBe(true);
    }
    // `summarize` is also a skill the gateway bundles: deployed to the managed folder, ours replaces it.
    expect(rulesOf(r, 'skills/summarize/SKILL.md')).toEqual([
      'warning gateway/bundled-name@1:1',
      'warning frontmatter/repaired@3:1',
    ]);
    expect(rulesOf(r, 'skills/listy/SKILL.md')).toEqual(['warning frontmatter/coerced@3:1']);
    expect(skill('skills/listy')?.description).toBe('["one","two"]');
    expect(rulesOf(r, 'skills/toolkit/sub-tool/SKILL.md')).toEqual(['warning gateway/nested-skill@1:1']);
    expect(skill('skills/summarize')?.description).toBe('Use this: when the user pastes a long text');
    expect(skill('skills/crlf-skill')?.description).toBe('Written on Windows.');
    expect(skill('skills/big-handbook')?.files[0]?.size).toBeGreaterThan(70_000);
  });

  it('reports what the gateway would not load or what must not ship', () => {
    expect(rulesOf(r, 'notes/SKILL.md')).toEqual(['error frontmatter/missing@1:1']);
    expect(rulesOf(r, 'skills/linked/shared.md')).toEqual(['error file/symlink@0:0']);
    expect(rulesOf(r, 'skills/deployer/scripts/deploy.sh')).toEqual(['error secret/aws-access-key-id@2:26']);
    for (const p of ['notes', 'skills/linked', 'skills/deployer']) expect(skill(p)?.valid, p).toBe(false);
  });

  it('names both files of a duplicate name: the one the gateway drops is an error, the one it keeps a warning', () => {
    const dups = r.findings.filter((f) => f.rule === 'skill/duplicate-name');
    expect(dups.map((f) => [f.severity, f.file, f.message])).toEqual([
      [
        'error',
        'skills/web-search/SKILL.md',
        "skill name 'web-search' is also used by web-search/SKILL.md; the gateway keeps web-search/SKILL.md and drops this one",
      ],
      [
        'warning',
        'web-search/SKILL.md',
        "skill name 'web-search' is also used by skills/web-search/SKILL.md; the gateway keeps this one",
      ],
    ]);
    expect([skill('web-search')?.valid, skill('skills/web-search')?.valid]).toEqual([true, false]);
  });

  it('ships only regular, non-ignored files; a skill inside a skill ships as files of the outer one', () => {
    expect(skill('skills/summarize')?.files.map((f) => f.path)).toEqual(['SKILL.md', 'scripts/run.py']);
    expect(skill('skills/toolkit')?.files.map((f) => f.path)).toEqual([
      'README.md',
      'SKILL.md',
      'sub-tool/SKILL.md',
      'sub-tool/notes.md',
    ]);
    expect(skill('skills/linked')?.files.map((f) => f.path)).toEqual(['SKILL.md']);
  });

  it('keeps the owner-exec bit as 0755 and everything else as 0644', () => {
    const files = skill('skills/summarize')!.files;
    expect(files.map((f) => f.mode)).toEqual([0o644, 0o755]);
  });

  it('never prints the secret itself', () => {
    expect(JSON.stringify(r)).not.toContain(FAKE_AWS_KEY);
  });

  it('returns findings sorted (errors first)', () => {
    const sev = r.findings.map((f) => f.severity);
    expect(sev.indexOf('warning')).toBeGreaterThan(sev.lastIndexOf('error'));
  });
});

describe('files, hashes and versions', () => {
  it('hashes every file once and derives fingerprint and version', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s'), 's/references/a.md': 'A\n' });
    const r = await checkRepo(root);
    const s = r.skills[0]!;
    const md = await readFile(path.join(root, 's/SKILL.md'));
    expect(s.files).toEqual([
      { path: 'SKILL.md', sha256: sha256(md), size: md.length, mode: 0o644 },
      { path: 'references/a.md', sha256: sha256('A\n'), size: 2, mode: 0o644 },
    ]);
    expect(s.fingerprint).toBe(fingerprint(s.files));
    expect([s.version, s.versionSource]).toEqual([s.fingerprint, 'fingerprint']);
  });
  it('uses the frontmatter version when present', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s', 'version: "2.1.0"\n') });
    const s = (await checkRepo(root)).skills[0]!;
    expect([s.version, s.versionSource]).toEqual(['2.1.0', 'frontmatter']);
  });
  it('treats the root itself as a skill and names it after the folder', async () => {
    const root = await tree({ 'SKILL.md': '---\ndescription: root skill\n---\n' });
    const r = await checkRepo(root);
    expect(r.skills.map((s) => [s.path, s.name, s.valid])).toEqual([['', path.basename(root), true]]);
  });
});

describe('file/too-large', () => {
  const pad = (n: number) => 'x'.repeat(n);
  it('SKILL.md: fails above the gateway’s 256,000 bytes and passes at it', async () => {
    const head = '---\ndescription: d\n---\n';
    const root = await tree({
      'a/SKILL.md': head + pad(256_000 - head.length),
      'b/SKILL.md': head + pad(256_001 - head.length),
    });
    const r = await checkRepo(root);
    expect(rulesOf(r)).toEqual(['error file/too-large@0:0']);
    expect(r.findings[0]?.file).toBe('b/SKILL.md');
    expect(r.findings[0]?.message).toContain('the gateway reads at most 256000');
  });
  it('other files: the per-file limit (default 10 MiB), not the gateway’s SKILL.md limit', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s'), 's/big.txt': pad(1001), 's/ok.txt': pad(1000) });
    const r = await checkRepo(root, { maxFileSize: 1000 });
    expect(rulesOf(r)).toEqual(['error file/too-large@0:0']);
    expect(r.findings[0]?.file).toBe('s/big.txt');
    expect(r.skills[0]?.files.find((f) => f.path === 'big.txt')?.size).toBe(1001);
    const media = await tree({ 's/SKILL.md': skillMd('s'), 's/assets/clip.mp3': Buffer.alloc(4_000_000, 1) });
    expect(rulesOf(await checkRepo(media))).toEqual([]);
  });
  it('a lower per-file limit does not apply to SKILL.md (70 KB SKILL.md, 65,536-byte limit)', async () => {
    const root = await makeFixtureRepo();
    roots.push(root);
    const r = await checkRepo(root, { maxFileSize: 65_536 });
    expect(rulesOf(r, 'skills/big-handbook/SKILL.md')).toEqual([]);
  });
});

describe('file/symlink', () => {
  it('fails for a symlink in a skill and passes for a regular file', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s'), 's/a.md': 'a', 's/link.md': { symlink: 'a.md' } });
    expect(rulesOf(await checkRepo(root))).toEqual(['error file/symlink@0:0']);
    const ok = await tree({ 's/SKILL.md': skillMd('s'), 's/a.md': 'a' });
    expect(rulesOf(await checkRepo(ok))).toEqual([]);
  });
  it('does not follow a symlinked folder out of the tree', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s'), 's/etc': { symlink: '/etc' } });
    const r = await checkRepo(root);
    expect(r.skills[0]?.files.map((f) => f.path)).toEqual(['SKILL.md']);
    expect(rulesOf(r)).toEqual(['error file/symlink@0:0']);
  });
});

describe('skill/duplicate-name', () => {
  it('passes when names differ even if folders match', async () => {
    const root = await tree({ 'a/x/SKILL.md': skillMd('one'), 'b/x/SKILL.md': skillMd('two') });
    expect(rulesOf(await checkRepo(root))).toEqual([]);
  });
  it('uses the folder name when the frontmatter has none (as the gateway does)', async () => {
    const root = await tree({
      'a/same/SKILL.md': '---\ndescription: d\n---\n',
      'b/same/SKILL.md': '---\ndescription: d\n---\n',
    });
    expect(rulesOf(await checkRepo(root))).toEqual([
      'error skill/duplicate-name@1:1',
      'warning skill/duplicate-name@1:1',
    ]);
  });
});

describe('ignore files', () => {
  it('honours nested .gitignore with re-includes, and .skillsyncignore paths', async () => {
    const root = await tree({
      '.skillsyncignore': 'old/\n',
      'old/SKILL.md': skillMd('old'),
      's/SKILL.md': skillMd('s'),
      's/.gitignore': '*.tmp\n!keep.tmp\n',
      's/a.tmp': 'x',
      's/keep.tmp': 'x',
    });
    const r = await checkRepo(root);
    expect(r.skills.map((s) => s.path)).toEqual(['s']);
    expect(r.skills[0]?.files.map((f) => f.path)).toEqual(['.gitignore', 'SKILL.md', 'keep.tmp']);
  });
  it('passes fingerprint: lines to the scanner as an allowlist, not as path patterns', async () => {
    const files = {
      's/SKILL.md': skillMd('s'),
      's/run.sh': `#!/bin/sh\nKEY=${FAKE_AWS_KEY}\n`,
    };
    const first = await checkRepo(await tree(files));
    const msg = first.findings[0]?.message ?? '';
    const fp = /fingerprint ([0-9a-f]+)/.exec(msg)?.[1];
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    const allowed = await checkRepo(await tree({ ...files, '.skillsyncignore': `fingerprint:${fp}\n` }));
    expect(rulesOf(allowed)).toEqual([]);
    expect(allowed.skills[0]?.files.map((f) => f.path)).toEqual(['SKILL.md', 'run.sh']);
  });
});

describe('secrets in fixes', () => {
  it('does not quote a line holding a secret in a repair fix', async () => {
    const root = await tree({
      's/SKILL.md': `---\nname: s\ndescription: Deploy with: ${FAKE_AWS_KEY}\n---\n`,
    });
    const r = await checkRepo(root);
    expect(rulesOf(r)).toEqual(['error secret/aws-access-key-id@3:27', 'warning frontmatter/repaired@3:1']);
    expect(JSON.stringify(r.findings)).not.toContain(FAKE_AWS_KEY);
    expect(r.findings[1]?.fix).toBe('quote the value (fix not shown: the line holds a secret)');
  });
});

describe('SYNC.json', () => {
  it('is validated when it sits next to SKILL.md', async () => {
    const root = await tree({ 's/SKILL.md': skillMd('s'), 's/SYNC.json': '{"version":"2"}' });
    const r = await checkRepo(root);
    const sync = r.findings.filter((f) => f.file === 's/SYNC.json');
    expect(sync.length).toBeGreaterThan(0);
    expect(sync.every((f) => f.rule.startsWith('sync/'))).toBe(true);
    expect(r.skills[0]?.valid).toBe(false);
  });
});

describe('root errors', () => {
  it('throws a coded error for a missing root', async () => {
    await expect(checkRepo('/nonexistent/skill-sync-root')).rejects.toBeInstanceOf(CheckError);
  });
});
