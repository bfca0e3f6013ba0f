// `.skillsync.yml`: the CLI and the built Action read the same file; flags and inputs given explicitly win.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, runAction } from '../action/harness.js';
import { cli, REPO } from './run.js';

interface Report {
  counts: { skills: number; errors: number };
  skills: { name: string }[];
  findings: { rule: string; file: string }[];
}

let repo: string;
beforeAll(async () => {
  await ensureDist();
  // A repository: .git marks its root, the settings file sits there, the skills one level down.
  repo = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-config-'));
  await mkdir(path.join(repo, '.git'));
  const skill = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(repo, 'skills', rel)), { recursive: true });
    await writeFile(path.join(repo, 'skills', rel), text);
  };
  await skill('alpha/SKILL.md', '---\ndescription: Alpha.\n---\n');
  await skill('alpha/notes.bak', 'old notes, kept for reference\n');
  await skill('drafts/beta/SKILL.md', '---\nname: beta\n---\n'); // invalid: no description
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

async function settings(text: string): Promise<void> {
  await writeFile(path.join(repo, '.skillsync.yml'), text);
}

async function validate(...args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await cli(['validate', 'skills', '--json', ...args], { cwd: repo });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

describe('.skillsync.yml', () => {
  it('its schema compiles strictly', async () => {
    const schema = JSON.parse(
      await readFile(path.join(REPO, 'schemas/skillsync.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv2020({ strict: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('the CLI applies its profile, limits and ignore rules, found from the skills folder up to the repo root', async () => {
    await settings('');
    const none = await validate();
    expect(none.code).toBe(1);
    expect(none.report.skills.map((s) => s.name).sort()).toEqual(['alpha', 'beta']);

    await settings(
      '# skill-sync settings\nprofile: strict\nlimits:\n  maxFileSize: 100000\nignore:\n  - drafts/\n  - "*.bak"\n',
    );
    const r = await validate();
    expect(r.report.skills.map((s) => s.name)).toEqual(['alpha']);
    // strict needs name and version: alpha has neither.
    expect(r.report.findings.filter((f) => f.rule === 'frontmatter/required')).toHaveLength(2);
    expect(r.code).toBe(1);

    // The pack honours the same ignore rules: the .bak file is not shipped.
    const out = path.join(repo, 'skills.tar.gz');
    const pack = await cli(['pack', 'skills', '--profile', 'openclaw', '--out', out, '--json'], {
      cwd: repo,
    });
    expect(pack.code, pack.stderr).toBe(0);
    expect(JSON.parse(pack.stdout)).toMatchObject({ skills: 1 });

    await settings('limits:\n  maxFileSize: 10\n');
    const small = await validate();
    expect(small.report.findings.filter((f) => f.rule === 'file/too-large').length).toBeGreaterThan(0);
  });

  it('a flag given explicitly wins over the file; --no-config and --config FILE choose the file', async () => {
    await settings('profile: strict\nignore: [drafts/]\n');
    const flag = await validate('--profile', 'openclaw');
    expect(flag.code).toBe(0);
    expect(flag.report.counts).toMatchObject({ skills: 1, errors: 0 });
    const bare = await validate('--no-config');
    expect(bare.report.counts.skills).toBe(2);
    const other = path.join(repo, 'other.yml');
    await writeFile(other, 'requiredFields: [description, owner]\n');
    const named = await validate('--config', other);
    expect(named.report.findings.some((f) => f.rule === 'frontmatter/required')).toBe(true);
    expect(named.report.counts.skills).toBe(2);
  });

  it('a mistake in the file is a config error (exit 2) that names the file and the key', async () => {
    await settings('profle: strict\n');
    const typo = await cli(['validate', 'skills'], { cwd: repo });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      `skill-sync validate: ${path.join(repo, '.skillsync.yml')}: top level: unknown key 'profle' (schema: schemas/skillsync.schema.json)\n`,
    );
    await settings('profile: lenient\n');
    const bad = await cli(['validate', 'skills', '--json'], { cwd: repo });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      error: {
        code: 'usage',
        message: expect.stringContaining('profile: must be one of openclaw, agentskills, strict'),
      },
    });
    await settings('ignore: [unclosed\n');
    expect((await cli(['validate', 'skills'], { cwd: repo })).stderr).toContain('not valid YAML');
  });

  it('a file above the repository root does not apply', async () => {
    await rm(path.join(repo, '.skillsync.yml'), { force: true });
    const outer = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-outer-'));
    try {
      await writeFile(path.join(outer, '.skillsync.yml'), 'profile: strict\n');
      const inner = path.join(outer, 'project');
      await mkdir(path.join(inner, '.git'), { recursive: true });
      await mkdir(path.join(inner, 'skills/a'), { recursive: true });
      await writeFile(path.join(inner, 'skills/a/SKILL.md'), '---\ndescription: A.\n---\n');
      const r = await cli(['validate', 'skills'], { cwd: inner });
      expect(r.code).toBe(0);
    } finally {
      await rm(outer, { recursive: true, force: true });
    }
  });

  it('the built Action reads the same file, and its inputs win over it', async () => {
    await settings('profile: strict\nignore:\n  - drafts/\n');
    const base = { workspace: repo, event: 'pull_request' };
    const fromFile = await runAction({ ...base, inputs: { path: 'skills', mode: 'validate' } });
    const report = fromFile.report as Report;
    expect(report.skills.map((s) => s.name)).toEqual(['alpha']);
    expect(report.findings.filter((f) => f.rule === 'frontmatter/required')).toHaveLength(2);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stdout).toContain('settings: .skillsync.yml');

    const input = await runAction({
      ...base,
      inputs: { path: 'skills', mode: 'validate', profile: 'openclaw' },
    });
    expect(input.code).toBe(0);
    expect((input.report as Report).counts).toMatchObject({ skills: 1, errors: 0 });

    await settings('limits: {maxFileSize: "big"}\n');
    const broken = await runAction({ ...base, inputs: { path: 'skills', mode: 'validate' } });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('.skillsync.yml: limits.maxFileSize: must be integer');
  });
});
