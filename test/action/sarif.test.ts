// SARIF 2.1.0: the log from core/sarif.ts, the Action's sarif-path file and `validate --format sarif`, each checked
// against the OASIS schema (shipped in @microsoft/jest-sarif) and the fields GitHub code scanning needs.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/findings.js';
import { toSarif, type SarifLog } from '../../core/sarif.js';
import { ensureDist, plantedGithubToken, REPO, runAction, skillMd, tempDir, writeSkills } from './harness.js';

const run = promisify(execFile);
let validate: ValidateFunction;

beforeAll(async () => {
  const file = createRequire(import.meta.url).resolve(
    '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
  );
  // A draft-04 schema: its root `id` is draft-07's `$id`; no other draft-04-only keyword is used in it.
  const {
    $schema: _draft,
    id,
    ...schema
  } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  // unicodeRegExp off: one of the schema's patterns (a language tag) is not valid with the `u` flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  // A relative reference: resolvable against a base, and nothing that would need escaping.
  ajv.addFormat(
    'uri-reference',
    (s: string) => URL.canParse(s, 'file:///base/') && !/[\s%](?![0-9A-F]{2})/i.test(s),
  );
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  validate = ajv.compile({ ...schema, $id: String(id) });
});

/** The schema, plus what GitHub code scanning requires of each result (startLine, a known rule). */
function expectValid(log: SarifLog): void {
  const ok = validate(log);
  expect(validate.errors ?? null, JSON.stringify(validate.errors?.slice(0, 3))).toBeNull();
  expect(ok).toBe(true);
  expect(log.version).toBe('2.1.0');
  const [runObj] = log.runs;
  expect(runObj?.tool.driver.name).toBe('skill-sync');
  const rules = runObj?.tool.driver.rules ?? [];
  for (const r of runObj?.results ?? []) {
    expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
    expect(r.message.text.length).toBeGreaterThan(0);
    const loc = r.locations[0]?.physicalLocation;
    expect(loc?.region.startLine).toBeGreaterThanOrEqual(1);
    expect(loc?.artifactLocation.uri).not.toMatch(/^\/|^\.\.?\//);
  }
}

describe('toSarif', () => {
  const findings: Finding[] = [
    {
      severity: 'error',
      rule: 'secret/github-pat',
      file: 'skills/a/notes.md',
      line: 3,
      column: 9,
      message: 'GitHub token ghp_…',
    },
    {
      severity: 'error',
      rule: 'frontmatter/required',
      file: 'skills/my skill/SKILL.md',
      line: 0,
      column: 0,
      message: 'missing description',
      fix: 'add `description: …`',
    },
    {
      severity: 'warning',
      rule: 'frontmatter/repaired',
      file: 'skills/b/SKILL.md',
      line: 2,
      column: 0,
      message: 'not YAML',
    },
  ];

  it('is a valid SARIF 2.1.0 log with one result per finding and every rule described', () => {
    const log = toSarif(findings, { toolVersion: '1.2.3' });
    expectValid(log);
    const [r] = log.runs;
    expect(r?.tool.driver.version).toBe('1.2.3');
    expect(r?.results.map((x) => [x.ruleId, x.level])).toEqual([
      ['secret/github-pat', 'error'],
      ['frontmatter/required', 'error'],
      ['frontmatter/repaired', 'warning'],
    ]);
    const rule = r?.tool.driver.rules.find((x) => x.id === 'frontmatter/required');
    expect(rule?.shortDescription.text).toMatch(/requires is missing/);
    expect(r?.tool.driver.rules.find((x) => x.id === 'secret/github-pat')?.properties).toEqual({
      tags: ['security'],
      'security-severity': '9.0',
    });
    // A whole-file finding points at line 1; a space is percent-encoded; the fix is in the message.
    const whole = r?.results[1]?.locations[0]?.physicalLocation;
    expect(whole?.region).toEqual({ startLine: 1 });
    expect(whole?.artifactLocation.uri).toBe('skills/my%20skill/SKILL.md');
    expect(r?.results[1]?.message.text).toBe('missing description\nFix: add `description: …`');
    expect(r?.results[0]?.locations[0]?.physicalLocation.region).toEqual({ startLine: 3, startColumn: 9 });
  });

  it('is valid with no findings, and prefixes paths for the CLI', () => {
    expectValid(toSarif([]));
    // The validator bites: a driver without a name, a result without a message.
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    const noMessage = toSarif(findings) as unknown as { runs: { results: { message?: unknown }[] }[] };
    delete noMessage.runs[0]?.results[0]?.message;
    expect(validate(noMessage)).toBe(false);
    const log = toSarif(findings.slice(0, 1), { uriPrefix: 'repo/skills/' });
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'repo/skills/skills/a/notes.md',
    );
  });
});

describe('SARIF from the built Action and the CLI', () => {
  let workspace: string;
  const token = plantedGithubToken();
  beforeAll(async () => {
    await ensureDist();
    workspace = await tempDir();
    await writeSkills(workspace, [
      ...Array.from({ length: 14 }, (_, i) => ({
        dir: `skills/m-${String(i).padStart(2, '0')}`,
        skillMd: `---\nname: m-${i}\n---\n\nBody.\n`,
      })),
      { dir: 'skills/leaky', skillMd: skillMd('leaky'), files: { 'ref.md': `x\nkey = ${token}\n` } },
    ]);
  });

  it('the Action writes every finding (past the annotation cap) to sarif-path', async () => {
    const r = await runAction({ workspace, event: 'pull_request', inputs: { path: 'skills' } });
    expect(r.code).toBe(1);
    const sarifPath = r.outputs['sarif-path'] ?? '';
    expect(path.dirname(sarifPath)).toBe(r.runnerTemp);
    const text = await readFile(sarifPath, 'utf8');
    const log = JSON.parse(text) as SarifLog;
    expectValid(log);
    const report = r.report as { findings: Finding[] };
    expect(report.findings).toHaveLength(15);
    expect(log.runs[0]?.results).toHaveLength(15);
    expect(log.runs[0]?.results.map((x) => x.locations[0]?.physicalLocation.artifactLocation.uri)).toEqual(
      report.findings.map((f) => f.file),
    );
    expect(text).not.toContain(token);
  });

  it('`validate --format sarif` prints the same shape, paths from the current folder', async () => {
    const cli = path.join(REPO, 'bin', 'skill-sync.js');
    const out = await run(process.execPath, [cli, 'validate', 'skills', '--format', 'sarif'], {
      cwd: workspace,
    }).catch((e: { code: number; stdout: string }) => e);
    expect((out as { code?: number }).code).toBe(1);
    const log = JSON.parse(out.stdout) as SarifLog;
    expectValid(log);
    const uris = log.runs[0]?.results.map((x) => x.locations[0]?.physicalLocation.artifactLocation.uri);
    expect(uris).toContain('skills/leaky/ref.md');
    expect(uris).toHaveLength(15);
    const bad = await run(process.execPath, [cli, 'validate', 'skills', '--format', 'xml'], {
      cwd: workspace,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code?: number }).code).toBe(2);
  });
});
