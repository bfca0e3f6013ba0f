// The workflow files we ship (.github/, examples/): current action majors, no `paths:` on the required check,
// the Action run as `uses: ./` in CI, a dist check from nothing, and a release that moves v1 only after CI.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './harness.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  steps?: Step[];
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** The first major of each action that runs on node24 (the v4 lines of the actions/* ones run on Node 20). */
const MIN_MAJOR: Record<string, number> = {
  'actions/checkout': 7,
  'actions/setup-node': 7,
  'actions/upload-artifact': 7,
  'actions/setup-java': 5,
  'github/codeql-action/upload-sarif': 4,
};

async function workflows(dir: string): Promise<[string, Workflow][]> {
  const files = (await readdir(path.join(REPO, dir))).filter((f) => f.endsWith('.yml'));
  return Promise.all(
    files.map(async (f) => [
      `${dir}/${f}`,
      parse(await readFile(path.join(REPO, dir, f), 'utf8')) as Workflow,
    ]),
  );
}

const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);

describe('workflow files', () => {
  it('use the current major of every action, in .github/ and examples/', async () => {
    const all = [...(await workflows('.github/workflows')), ...(await workflows('examples/workflows'))];
    expect(all.length).toBeGreaterThanOrEqual(6);
    let checked = 0;
    for (const [file, wf] of all) {
      for (const s of steps(wf)) {
        const m = /^([^@]+)@v(\d+)$/.exec(s.uses ?? '');
        if (!m || !(m[1]! in MIN_MAJOR)) continue;
        expect(Number(m[2]), `${file}: ${s.uses}`).toBeGreaterThanOrEqual(MIN_MAJOR[m[1]!]!);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('the example validate workflow (a check that may be required) has no paths filter', async () => {
    const wf = parse(
      await readFile(path.join(REPO, 'examples/workflows/skills-validate.yml'), 'utf8'),
    ) as Workflow;
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect(JSON.stringify(wf.on)).not.toMatch(/paths/);
    const uses = steps(wf).map((s) => s.uses);
    expect(uses).toContain('github/codeql-action/upload-sarif@v4');
    const sarif = steps(wf).find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    expect(sarif?.with?.sarif_file).toBe('${{ steps.sync.outputs.sarif-path }}');
  });

  it('every example keeps the JSON report as an artifact, also when the step failed', async () => {
    for (const [file, wf] of await workflows('examples/workflows')) {
      const upload = steps(wf).find((s) => s.uses?.startsWith('actions/upload-artifact@'));
      expect(upload?.with?.path, file).toBe('${{ steps.sync.outputs.report-path }}');
      expect(upload?.if, file).toMatch(/!cancelled\(\)/);
    }
  });

  it('CI runs the committed Action as `uses: ./`', async () => {
    const ci = parse(await readFile(path.join(REPO, '.github/workflows/ci.yml'), 'utf8')) as Workflow;
    expect(steps(ci).filter((s) => s.uses === './').length).toBeGreaterThanOrEqual(2);
    expect(ci.on).toHaveProperty('workflow_call');
  });

  it('the dist check rebuilds from nothing, and .gitattributes marks dist/ generated with LF', async () => {
    const wf = parse(await readFile(path.join(REPO, '.github/workflows/check-dist.yml'), 'utf8')) as Workflow;
    const runs = steps(wf).map((s) => s.run ?? '');
    const build = runs.findIndex((r) => /npm run bundle/.test(r));
    expect(runs[build]).toMatch(/rm -rf dist\b.*&&.*npm run bundle/);
    expect(runs.slice(build + 1).join('\n')).toMatch(/git status --porcelain -- dist\//);
    const attrs = await readFile(path.join(REPO, '.gitattributes'), 'utf8');
    expect(attrs.split('\n')).toContain('dist/** linguist-generated=true eol=lf');
  });

  it('release moves v1 only after CI and the dist check, with a git identity, a Release and the tag version', async () => {
    const wf = parse(await readFile(path.join(REPO, '.github/workflows/release.yml'), 'utf8')) as Workflow;
    expect(wf.jobs.ci?.uses).toBe('./.github/workflows/ci.yml');
    expect(wf.jobs['check-dist']?.uses).toBe('./.github/workflows/check-dist.yml');
    const rel = wf.jobs.release!;
    expect(rel.needs).toEqual(['ci', 'check-dist']);
    expect(rel.permissions).toEqual({ contents: 'write' });
    const runs = (rel.steps ?? []).map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    expect(at(/package\.json.*version/)).toBeGreaterThanOrEqual(0);
    expect(at(/git config user\.name/)).toBeGreaterThanOrEqual(0);
    expect(at(/git config user\.name/)).toBeLessThan(at(/scripts\/release\.sh/));
    expect(at(/package\.json.*version/)).toBeLessThan(at(/scripts\/release\.sh/));
    expect(at(/gh release create "\$GITHUB_REF_NAME"/)).toBeGreaterThan(at(/scripts\/release\.sh/));
  });
});
