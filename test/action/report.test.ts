// The job summary renderer: every row when it fits, a clear truncation note (never over the limit) when not.
import { describe, expect, it } from 'vitest';
import { renderSummary, type RunReport } from '../../core/report.js';
import { computePlan } from '../../action/plan.js';

function report(findings: number, skills: number): RunReport {
  return {
    v: 1,
    mode: 'validate',
    root: 'skills',
    generatedAt: '2025-01-01T00:00:00Z',
    counts: { skills, valid: skills, invalid: 0, errors: findings, warnings: 0 },
    skills: Array.from({ length: skills }, (_, i) => ({
      name: `skill-${i}`,
      path: `skills/skill-${i}`,
      version: '1.0.0',
      fingerprint: 'f'.repeat(64),
      status: 'valid' as const,
    })),
    findings: Array.from({ length: findings }, (_, i) => ({
      severity: 'error' as const,
      rule: 'frontmatter/required',
      file: `skill-${i}/SKILL.md`,
      line: 2,
      column: 1,
      message: `missing description | with a pipe <b>`,
    })),
    outcome: 'failed',
    failures: ['validation found errors'],
    warnings: [],
  };
}

describe('renderSummary', () => {
  it('lists every finding and skill when it fits, escaping table breakers', () => {
    const md = renderSummary(report(3, 4));
    expect(md.match(/^\| error \|/gm)).toHaveLength(3);
    expect(md).toContain('| skill-3 | 1.0.0 | `ffffffffffff` | valid |');
    expect(md).toContain('missing description \\| with a pipe &lt;b&gt;');
    expect(md).not.toContain('Truncated');
  });

  it('truncates at a row boundary under the limit and points at the JSON report', () => {
    const limit = 50_000;
    const md = renderSummary(report(2000, 2000), { limitBytes: limit, reportPath: '/tmp/r.json' });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(limit);
    expect(md).toMatch(/\*\*Truncated:\*\* \d+ more findings not shown .*`\/tmp\/r\.json`/);
    expect(md).toMatch(/\*\*Truncated:\*\* 2000 more skills not shown/);
    // Every table row that is there is whole.
    for (const line of md.split('\n').filter((l) => l.startsWith('| error')))
      expect(line.endsWith('|')).toBe(true);
  });

  it('stays under the 1 MiB default with a huge report', () => {
    const md = renderSummary(report(20_000, 20_000));
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    expect(md).toContain('Truncated');
  });
});

describe('renderSummary: grouped, linked, folded', () => {
  const sha = 'c'.repeat(40);
  function mixed(): RunReport {
    const r = report(0, 2);
    r.repository = 'acme/skills';
    r.commit = sha;
    r.findings = [
      ...Array.from({ length: 12 }, (_, i) => ({
        severity: 'error' as const,
        rule: 'frontmatter/required',
        file: `skills/s-${i}/SKILL.md`,
        line: 2,
        column: 1,
        message: 'missing description',
      })),
      {
        severity: 'error' as const,
        rule: 'secret/github-pat',
        file: 'skills/my notes/ref.md',
        line: 7,
        column: 3,
        message: 'token',
      },
      {
        severity: 'warning' as const,
        rule: 'frontmatter/bom',
        file: 'skills/b/SKILL.md',
        line: 0,
        column: 0,
        message: 'BOM',
      },
    ];
    return r;
  }

  it('groups findings by rule, errors first, folding groups over 10 rows', () => {
    const md = renderSummary(mixed(), { serverUrl: 'https://github.com' });
    const heads = [...md.matchAll(/^<details( open)?><summary>(.*)<\/summary>$/gm)].map((m) => [
      !!m[1],
      m[2],
    ]);
    expect(heads).toEqual([
      [false, 'error · <code>frontmatter/required</code> · 12'],
      [true, 'error · <code>secret/github-pat</code> · 1'],
      [true, 'warning · <code>frontmatter/bom</code> · 1'],
      [true, '2 skill(s)'],
    ]);
    expect(md.match(/<details/g)?.length).toBe(md.match(/<\/details>/g)?.length);
  });

  it('links each finding to its line at the checked commit (blob/<sha>/<file>#L<n>)', () => {
    const md = renderSummary(mixed(), { serverUrl: 'https://github.example/' });
    expect(md).toContain(
      `| error | [\`skills/s-0/SKILL.md:2:1\`](https://github.example/acme/skills/blob/${sha}/skills/s-0/SKILL.md#L2) |`,
    );
    expect(md).toContain(`(https://github.example/acme/skills/blob/${sha}/skills/my%20notes/ref.md#L7)`);
    // A whole-file finding links to the file.
    expect(md).toContain(`(https://github.example/acme/skills/blob/${sha}/skills/b/SKILL.md)`);
    // Without a server or a commit there is nothing to link to.
    expect(renderSummary(mixed())).not.toContain('/blob/');
  });

  it('shows notices, and the gateway whose rules the check followed', () => {
    const r = mixed();
    r.notices = ['receiver-url is empty'];
    expect(renderSummary(r)).toContain('- ℹ️ receiver-url is empty');
    expect(renderSummary(r)).not.toContain('rules of');
    r.gateway = 'openclaw@2026.9.6';
    expect(renderSummary(r)).toContain('· rules of `openclaw@2026.9.6`');
  });
});

describe('computePlan', () => {
  it('splits skills into added, changed, removed and unchanged by name and fingerprint', () => {
    const plan = computePlan(
      {
        deploymentId: 'd1',
        serial: 5,
        commit: 'c',
        appliedAt: null,
        skills: [
          { name: 'same', version: '1', fingerprint: 'aa' },
          { name: 'bumped', version: '1', fingerprint: 'bb' },
          { name: 'gone', version: '3', fingerprint: 'cc' },
        ],
      },
      [
        { name: 'same', version: '1', fingerprint: 'aa' },
        { name: 'bumped', version: '2', fingerprint: 'b2' },
        { name: 'new', version: '1', fingerprint: 'dd' },
      ],
    );
    expect(plan.added.map((s) => s.name)).toEqual(['new']);
    expect(plan.changed).toEqual([
      {
        name: 'bumped',
        from: { name: 'bumped', version: '1', fingerprint: 'bb' },
        to: { name: 'bumped', version: '2', fingerprint: 'b2' },
      },
    ]);
    expect(plan.removed.map((s) => s.name)).toEqual(['gone']);
    expect(plan.unchanged).toBe(1);
  });
});
