// The user's repo shape (generated, test/support/user-repo.ts) through `skill-sync validate` and the pinned gateway.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRepo, type CheckResult } from '../../core/check.js';
import { checkAgainstGateway, type RepoVerdict } from '../../scripts/gateway-check-repo.js';
import { makeUserRepo } from '../support/user-repo.js';

let root = '';
let r: CheckResult;
let gateway: RepoVerdict;

beforeAll(async () => {
  root = await makeUserRepo();
  r = await checkRepo(root);
  gateway = await checkAgainstGateway(root);
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('the user repo shape, deployed from its root', () => {
  it('has no size errors: multi-MB images and audio are fine', () => {
    expect(r.findings.filter((f) => f.rule === 'file/too-large')).toEqual([]);
    const last30days = r.skills.find((s) => s.path === 'skills/last30days');
    expect(last30days?.files.some((f) => f.path === 'assets/dog-original.jpeg' && f.size > 4_000_000)).toBe(
      true,
    );
  });

  it('errors only where the gateway drops a skill, each with the gateway’s reason and a fix', () => {
    const errors = r.findings.filter((f) => f.severity === 'error');
    for (const e of errors) expect(e.fix, `${e.file} ${e.rule}`).toBeTruthy();
    const last = errors.find((f) => f.file === 'skills/last30days/SKILL.md');
    expect(last).toMatchObject({ rule: 'frontmatter/yaml-invalid', line: 4 });
    expect(last?.message).toContain('invalid frontmatter: UNEXPECTED_TOKEN');
    expect(last?.fix).toBe(`quote the value: argument-hint: '"[topic] for [tool]" or "[topic]"'`);
    expect(errors.find((f) => f.file === 'skills/ceo-advisor/SKILL.md')?.rule).toBe('frontmatter/missing');
    // Beside the root SKILL.md the gateway reads skills/ only: the top-level folders never load.
    expect(errors.find((f) => f.file === 'horde-prompt/SKILL.md')?.message).toContain(
      "the root has its own SKILL.md, so the gateway reads skills from 'skills/' only",
    );
    // Every skill skill-sync refuses, the gateway drops; every one it passes, the gateway loads (per name).
    expect(gateway.names.filter((n) => n.gateway !== n.skillSync)).toEqual([]);
    expect(gateway.listed).toBe(r.skills.filter((s) => s.valid).length);
    expect(gateway.names.find((n) => n.name === 'last30days')?.reasons[0]).toMatch(
      /^invalid frontmatter: UNEXPECTED_TOKEN/,
    );
  });

  it('reports the name the gateway bundles (skill-creator), and repaired descriptions as warnings', () => {
    const creator = r.findings.find((f) => f.file === 'skills/skill-creator/SKILL.md');
    expect(creator).toMatchObject({ severity: 'warning', rule: 'gateway/bundled-name' });
    expect(creator?.message).toContain(
      "'skill-creator' is also a skill of openclaw@2026.9.6 (openclaw-bundled)",
    );
    expect(
      r.findings
        .filter((f) => f.rule === 'frontmatter/repaired')
        .map((f) => f.file)
        .sort(),
    ).toEqual(['skills/dev-deploy/SKILL.md', 'skills/molt/SKILL.md']);
  });

  it('validated at skills/ (the Action’s `path: skills`): only the two dropped skills are errors', async () => {
    const sub = await checkRepo(path.join(root, 'skills'));
    const errors = sub.findings.filter((f) => f.severity === 'error').map((f) => `${f.file} ${f.rule}`);
    expect(errors.sort()).toEqual([
      'ceo-advisor/SKILL.md frontmatter/missing',
      'last30days/SKILL.md frontmatter/yaml-invalid',
    ]);
    const extra = await checkRepo(path.join(root, 'skills'), { placement: 'extra' });
    expect(extra.findings.find((f) => f.file === 'skill-creator/SKILL.md')).toMatchObject({
      severity: 'error',
      rule: 'gateway/bundled-name',
    });
  });
});
