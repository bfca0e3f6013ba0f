// The built Action on a pull request: annotations at exact positions within caps, summary, outputs, exit code.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/findings.js';
import {
  accepted,
  ensureDist,
  plantedGithubToken,
  runAction,
  skillMd,
  startStubReceiver,
  tempDir,
  writeSkills,
  type ActionRun,
  type StubReceiver,
} from './harness.js';

interface Report {
  findings: Finding[];
  skills: { name: string; status: string }[];
  counts: { invalid: number; errors: number; warnings: number };
}

describe('action on pull_request with invalid skills', () => {
  let workspace: string;
  let receiver: StubReceiver;
  let run: ActionRun;
  const token = plantedGithubToken();

  beforeAll(async () => {
    await ensureDist();
    workspace = await tempDir();
    const specs = [];
    for (let i = 0; i < 12; i++) {
      // No description: the openclaw profile's one required field.
      specs.push({
        dir: `skills/missing-${String(i).padStart(2, '0')}`,
        skillMd: `---\nname: missing-${i}\n---\n\nBody.\n`,
      });
    }
    for (let i = 0; i < 12; i++) {
      // Not YAML (a second `: ` in a plain scalar) but repaired by the gateway: a warning on line 3.
      specs.push({
        dir: `skills/fallback-${String(i).padStart(2, '0')}`,
        skillMd: `---\nname: fallback-${i}\ndescription: Use it: carefully\n---\n\nBody.\n`,
      });
    }
    specs.push({
      dir: 'skills/leaky',
      skillMd: skillMd('leaky'),
      files: { 'references/notes.md': `first\ntoken = ${token}\n` },
    });
    specs.push({ dir: 'skills/good', skillMd: skillMd('good') });
    await writeSkills(workspace, specs);
    receiver = await startStubReceiver(accepted);
    run = await runAction({
      workspace,
      event: 'pull_request',
      inputs: { path: 'skills', mode: 'auto', 'receiver-url': receiver.url, 'signing-key': 'unused-on-pr' },
    });
  });
  afterAll(async () => receiver?.close());

  it('fails the step and posts nothing', () => {
    expect(run.code).toBe(1);
    expect(receiver.requests).toHaveLength(0);
    expect(run.outputs['bundle-digest']).toBeUndefined();
  });

  it('annotates within 10 errors and 10 warnings, keeping a slot for the closing error, most important first', () => {
    const report = run.report as Report;
    const errors = run.commands.filter((c) => c.command === 'error' && c.props.file);
    const warnings = run.commands.filter((c) => c.command === 'warning' && c.props.file);
    // GitHub keeps 10 of each per step: 9 findings and the run's own failure line, which must not be lost.
    expect(errors).toHaveLength(9);
    expect(run.commands.filter((c) => c.command === 'error')).toHaveLength(10);
    expect(run.commands.filter((c) => c.command === 'error').at(-1)?.message).toMatch(
      /validation found 13 error\(s\) in 13 skill\(s\)/,
    );
    expect(warnings).toHaveLength(10);
    // The secret outranks the missing fields.
    expect(errors[0]?.props.file).toBe('skills/leaky/references/notes.md');
    expect(errors[0]?.props.line).toBe('2');
    expect(errors[0]?.props.title).toMatch(/secret\//);
    const expected = (sev: string) => report.findings.filter((f) => f.severity === sev).slice(0, 10);
    expect(expected('error')).toHaveLength(10);
    errors.forEach((c, i) => {
      const f = expected('error')[i] as Finding;
      // The report and the annotations both name files relative to the repository (path: skills).
      expect(f.file.startsWith('skills/')).toBe(true);
      expect(c.props.file).toBe(f.file);
      if (f.line) expect(c.props.line).toBe(String(f.line));
      if (f.line && f.column) expect(c.props.col).toBe(String(f.column));
      expect(c.props.title).toBe(`skill-sync ${f.rule}`);
    });
    warnings.forEach((c, i) => {
      const f = expected('warning')[i] as Finding;
      // The report and the annotations both name files relative to the repository (path: skills).
      expect(f.file.startsWith('skills/')).toBe(true);
      expect(c.props.file).toBe(f.file);
      expect(c.props.line).toBe('3');
      expect(c.props.col).toBe(String(f.column));
      expect(Number(c.props.col)).toBeGreaterThan(0);
    });
    expect(warnings[0]?.props.file).toBe('skills/fallback-00/SKILL.md');
    const notice = run.commands.find((c) => c.command === 'notice' && /not annotated/.test(c.message));
    expect(notice?.message).toMatch(/^4 more error\(s\) and 2 more warning\(s\) were not annotated/);
    expect(notice?.message).toContain('sarif-path');
  });

  it('lists every finding and every skill in the job summary', () => {
    const report = run.report as Report;
    expect(report.findings.length).toBe(13 + 12);
    for (const f of report.findings) expect(run.summary).toContain(f.file);
    // Grouped by rule: one folded group (more than 10 rows) with the 12 missing descriptions.
    expect(run.summary).toContain(
      '<details><summary>error · <code>frontmatter/required</code> · 12</summary>',
    );
    expect(run.summary.match(/^\| error \| \[`skills\/missing-\d\d\/SKILL\.md/gm)).toHaveLength(12);
    // Each finding links to its line at the checked commit.
    expect(run.summary).toContain(
      `(https://github.com/acme/skills/blob/${'a'.repeat(40)}/skills/leaky/references/notes.md#L2)`,
    );
    expect(run.summary.match(/frontmatter\/required/g)).toHaveLength(1);
    for (const s of report.skills) expect(run.summary).toContain(`| ${s.name} |`);
    expect(report.skills.find((s) => s.name === 'good')?.status).toBe('valid');
    expect(report.skills.find((s) => s.name === 'leaky')?.status).toBe('invalid');
    expect(run.summary).not.toContain('Deploy plan');
  });

  it('sets outputs through GITHUB_OUTPUT', () => {
    expect(run.outputs['skills-count']).toBe('26');
    expect(run.outputs['invalid-count']).toBe('13');
    expect(path.basename(run.outputs['report-path'] ?? '')).toBe('skill-sync-report.json');
    expect(run.outputs['report-path']?.startsWith(run.runnerTemp)).toBe(true);
  });

  it('never shows the planted secret', () => {
    for (const text of [run.stdout + run.stderr, run.summary, run.reportText, JSON.stringify(run.outputs)]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(4, 20));
    }
  });
});

describe('action on pull_request with valid skills', () => {
  it('passes, writes the summary, and skips the plan without plan-url', async () => {
    await ensureDist();
    const workspace = await tempDir();
    await writeSkills(workspace, [
      { dir: 'a', skillMd: skillMd('a') },
      { dir: 'b', skillMd: skillMd('b', { version: '1.2.0' }) },
    ]);
    const run = await runAction({ workspace, event: 'pull_request', inputs: {} });
    expect(run.code).toBe(0);
    expect(run.commands.filter((c) => c.command === 'error')).toHaveLength(0);
    expect(run.outputs['skills-count']).toBe('2');
    expect(run.outputs['invalid-count']).toBe('0');
    expect(run.summary).toContain('| b | 1.2.0 |');
    expect(run.summary).not.toContain('Deploy plan');
  });
});
