// `skill-sync validate` as a real process: exit codes, --json shape, human output, options.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_KEY, makeFixtureRepo } from './fixture-repo.js';
import { makeTree, skillMd } from './tree.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/skill-sync.js');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'validate', ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let fixture: string;
let clean: string;
beforeAll(async () => {
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo }).catch(() => undefined); // emits despite others' type errors
  fixture = await makeFixtureRepo();
  clean = await makeTree({
    'a/SKILL.md': skillMd('a'),
    'b/SKILL.md': '---\ndescription: Use this: when\n---\n',
  });
});
afterAll(async () => {
  await rm(fixture, { recursive: true, force: true });
  await rm(clean, { recursive: true, force: true });
});

describe('skill-sync validate', () => {
  it('exits 0 for valid skills (warnings allowed) with a summary line', async () => {
    const r = await cli(clean);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('b/SKILL.md:2:1 warning frontmatter/repaired');
    expect(r.stdout).toContain('    fix: quote the value: description: "Use this: when"');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      '2 skill(s), 2 valid, 0 invalid; 0 error(s), 1 warning(s)',
    );
  });

  it('exits 0 on the shipped examples', async () => {
    const r = await cli('examples/skills');
    expect(r.stdout).toMatch(/0 error\(s\)/);
    expect(r.code).toBe(0);
  });

  it('exits 1 with errors, grouped by file as file:line:col severity rule message', async () => {
    const r = await cli(fixture);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(
      'notes/SKILL.md:1:1 error frontmatter/missing SKILL.md has no frontmatter, so the gateway drops it (description is required)',
    );
    expect(lines.filter((l) => /^\S+:\d+:\d+ (error|warning) \S+ /.test(l)).length).toBeGreaterThan(5);
    expect(r.stdout).not.toContain(FAKE_AWS_KEY);
  });

  it('--json prints {v, gateway, counts, skills:[{name,path,version,fingerprint,valid}], findings}', async () => {
    const r = await cli(fixture, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      counts: Record<string, number>;
      skills: Record<string, unknown>[];
      findings: Record<string, unknown>[];
    };
    expect(Object.keys(out)).toEqual(['v', 'gateway', 'counts', 'skills', 'findings']);
    // The Action's report counts (core/report.ts), from the same findings.
    const errors = out.findings.filter((f) => f.severity === 'error').length;
    expect(out.counts).toEqual({
      skills: out.skills.length,
      valid: out.skills.filter((s) => s.valid).length,
      invalid: out.skills.filter((s) => !s.valid).length,
      errors,
      warnings: out.findings.length - errors,
    });
    expect(out.counts.invalid).toBeGreaterThan(0);
    expect((out as unknown as { gateway: string }).gateway).toBe('openclaw@2026.9.6');
    for (const s of out.skills)
      expect(Object.keys(s)).toEqual(['name', 'path', 'version', 'fingerprint', 'valid']);
    expect(out.skills.find((s) => s.path === 'skills/summarize')).toMatchObject({
      name: 'summarize',
      valid: true,
    });
    const f = out.findings.find((x) => x.rule === 'frontmatter/missing');
    expect(f).toEqual({
      severity: 'error',
      rule: 'frontmatter/missing',
      file: 'notes/SKILL.md',
      line: 1,
      column: 1,
      message: expect.any(String),
      fix: expect.any(String),
    });
    expect(r.stdout).not.toContain(FAKE_AWS_KEY);
  });

  it('--max-file-size, --placement, --profile and --required-fields change the verdict', async () => {
    const small = JSON.parse((await cli(fixture, '--json', '--max-file-size', '20')).stdout) as {
      findings: { rule: string; file: string }[];
    };
    expect(small.findings).toContainEqual(
      expect.objectContaining({ rule: 'file/too-large', file: 'skills/web-search/references/engines.md' }),
    );
    // From extraDirs the gateway's own `summarize` wins over ours: an error; in its managed folder ours wins.
    const extra = await cli(clean, '--placement', 'extra');
    expect(extra.code).toBe(0);
    const named = await makeTree({ 'summarize/SKILL.md': skillMd('summarize') });
    expect((await cli(named)).code).toBe(0);
    const shadowed = await cli(named, '--placement', 'extra');
    expect(shadowed.code).toBe(1);
    expect(shadowed.stdout).toContain('error gateway/bundled-name');
    await rm(named, { recursive: true, force: true });
    const agent = await cli(clean, '--profile', 'agentskills');
    expect(agent.code).toBe(1);
    expect(agent.stdout).toContain(
      'b/SKILL.md:1:1 error frontmatter/required `name` is required (profile agentskills)',
    );
    const req = await cli(clean, '--required-fields', 'description,owner');
    expect(req.code).toBe(1);
    expect(req.stdout).toContain('`owner` is required (profile --required-fields)');
  });

  it('exits 2 on usage and config errors', async () => {
    expect((await cli(clean, '--profile', 'nope')).code).toBe(2);
    expect((await cli(clean, '--max-file-size', '12kb')).code).toBe(2);
    expect((await cli(clean, '--placement', 'workspace')).code).toBe(2);
    expect((await cli(clean, '--bogus')).code).toBe(2);
    const missing = await cli(path.join(clean, 'does-not-exist'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^skill-sync validate: not a folder: /);
  });

  it('--help exits 0 and lists the options', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const o of [
      '--profile',
      '--required-fields',
      '--max-file-size',
      '--placement',
      '--json',
      'openclaw@2026.9.6',
    ])
      expect(r.stdout).toContain(o);
  });
});
