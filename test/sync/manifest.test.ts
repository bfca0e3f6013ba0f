// validateSyncManifest: every rule fails and passes, with the exact line and column of the offending key or value.
import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { protectedPaths } from '../../core/sync/confine.js';
import { validateSyncManifest } from '../../core/sync/sync-manifest.js';

let tmp: string;
let skillDir: string;
let dataRoot: string;
const file = 'skills/memo/SYNC.json';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sync-manifest-'));
  skillDir = path.join(tmp, 'skill');
  dataRoot = path.join(tmp, 'data');
  await mkdir(path.join(skillDir, 'scripts'), { recursive: true });
  await mkdir(dataRoot);
  await writeFile(path.join(skillDir, 'scripts/gen.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await writeFile(path.join(skillDir, 'scripts/plain.sh'), '#!/bin/sh\n', { mode: 0o644 });
  await writeFile(path.join(tmp, 'outside.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await symlink(path.join(tmp, 'outside.sh'), path.join(skillDir, 'scripts/escape.sh'));
  await mkdir(path.join(tmp, 'elsewhere'));
  await symlink(path.join(tmp, 'elsewhere'), path.join(dataRoot, 'linked'));
});

/** A manifest with one field per line, so each field's line number is fixed: version 2, outputFile 3, ... */
function manifest(over: Record<string, unknown> = {}, drop: string[] = []): string {
  const base: Record<string, unknown> = {
    version: '1',
    outputFile: path.join(dataRoot, 'workspace/MEMORY.md'),
    patterns: ['memory:*'],
    generator: 'scripts/gen.sh',
    description: 'Memories',
    ...over,
  };
  for (const k of drop) delete base[k];
  return (
    '{\n' +
    Object.entries(base)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n') +
    '\n}\n'
  );
}

function check(text: string) {
  return validateSyncManifest(text, { file, skillDir, dataRoot });
}

function only(text: string) {
  const { manifest: m, findings } = check(text);
  expect(m).toBeUndefined();
  return findings.map((f) => ({ rule: f.rule, line: f.line, column: f.column }));
}

describe('validateSyncManifest', () => {
  it('accepts a valid manifest and returns it', () => {
    const { manifest: m, findings } = check(manifest());
    expect(findings).toEqual([]);
    expect(m).toEqual({
      version: '1',
      outputFile: path.join(dataRoot, 'workspace/MEMORY.md'),
      patterns: ['memory:*'],
      generator: 'scripts/gen.sh',
      description: 'Memories',
    });
  });

  it('accepts a missing description, a $schema pointer, a BOM and CRLF line endings', () => {
    const text =
      '\uFEFF' + manifest({ $schema: '../schemas/sync.schema.json' }, ['description']).replace(/\n/g, '\r\n');
    const { manifest: m, findings } = check(text);
    expect(findings).toEqual([]);
    expect(m?.description).toBeUndefined();
  });

  it('sync/json-syntax points at the offending character', () => {
    expect(only('{\n  "version": "1",\n  "patterns": [\'x\']\n}')).toEqual([
      { rule: 'sync/json-syntax', line: 3, column: 16 },
    ]);
    const trailing = check('{\n  "version": "1",\n}').findings[0];
    expect(trailing).toMatchObject({ rule: 'sync/json-syntax', line: 3, column: 1, file });
    expect(trailing?.message).toContain('trailing comma');
    expect(only('')).toEqual([{ rule: 'sync/json-syntax', line: 1, column: 1 }]);
  });

  it('sync/duplicate-key names the second occurrence', () => {
    const text = manifest().replace('"description"', '"version": "1",\n  "description"');
    expect(only(text)).toEqual([{ rule: 'sync/duplicate-key', line: 6, column: 3 }]);
  });

  it('sync/not-object for a non-object document', () => {
    expect(only('[1]')).toEqual([{ rule: 'sync/not-object', line: 1, column: 1 }]);
  });

  it('sync/missing-field for each required field, at the object', () => {
    for (const field of ['version', 'outputFile', 'patterns', 'generator']) {
      const findings = check(manifest({}, [field])).findings;
      expect(findings).toEqual([expect.objectContaining({ rule: 'sync/missing-field', line: 1, column: 1 })]);
      expect(findings[0]?.message).toContain(`'${field}'`);
    }
  });

  it('sync/unknown-field points at the key', () => {
    const findings = check(manifest({ schedule: 'hourly' })).findings;
    expect(findings).toEqual([expect.objectContaining({ rule: 'sync/unknown-field', line: 7, column: 3 })]);
    expect(findings[0]?.message).toContain("'schedule'");
  });

  it('sync/version-invalid for anything but the string "1"', () => {
    expect(only(manifest({ version: 1 }))).toEqual([{ rule: 'sync/version-invalid', line: 2, column: 14 }]);
    expect(only(manifest({ version: '2' }))).toEqual([{ rule: 'sync/version-invalid', line: 2, column: 14 }]);
  });

  it('sync/output-file-not-absolute and sync/output-file-invalid', () => {
    expect(only(manifest({ outputFile: 'workspace/MEMORY.md' }))).toEqual([
      { rule: 'sync/output-file-not-absolute', line: 3, column: 17 },
    ]);
    expect(only(manifest({ outputFile: 42 }))).toEqual([
      { rule: 'sync/output-file-invalid', line: 3, column: 17 },
    ]);
    expect(only(manifest({ outputFile: dataRoot + '/workspace/' }))).toEqual([
      { rule: 'sync/output-file-invalid', line: 3, column: 17 },
    ]);
  });

  it('sync/output-file-outside-data-root: elsewhere, via .., or the root itself', () => {
    const rule = 'sync/output-file-outside-data-root';
    expect(only(manifest({ outputFile: '/etc/MEMORY.md' }))).toEqual([{ rule, line: 3, column: 17 }]);
    expect(only(manifest({ outputFile: `${dataRoot}/../MEMORY.md` }))).toEqual([
      { rule, line: 3, column: 17 },
    ]);
    // `..` is refused even when it would normalise back inside the root.
    expect(only(manifest({ outputFile: `${dataRoot}/a/../MEMORY.md` }))).toEqual([
      { rule, line: 3, column: 17 },
    ]);
    expect(only(manifest({ outputFile: `${dataRoot}2/MEMORY.md` }))).toEqual([{ rule, line: 3, column: 17 }]);
  });

  it('sync/output-file-symlink-escape: a symlinked folder under the root that points outside', () => {
    const findings = check(manifest({ outputFile: `${dataRoot}/linked/deeper/MEMORY.md` })).findings;
    expect(findings).toEqual([
      expect.objectContaining({ rule: 'sync/output-file-symlink-escape', line: 3, column: 17 }),
    ]);
    expect(findings[0]?.message).toContain(path.join(tmp, 'elsewhere'));
  });

  it("sync/output-file-protected: the engine's folder, its releases and the live skills, even via a symlink", async () => {
    const rule = 'sync/output-file-protected';
    for (const target of [
      'skill-sync/state.json',
      'skill-sync/state.db',
      'skill-sync/releases/0000000000001-abcd/skills/memo/SKILL.md',
      'skill-sync',
      'skills/memo/SKILL.md',
    ])
      expect(only(manifest({ outputFile: `${dataRoot}/${target}` })), target).toEqual([
        { rule, line: 3, column: 17 },
      ]);
    await mkdir(path.join(dataRoot, 'skill-sync'), { recursive: true });
    await symlink(path.join(dataRoot, 'skill-sync'), path.join(dataRoot, 'innocent')).catch(() => undefined);
    expect(only(manifest({ outputFile: `${dataRoot}/innocent/state.json` }))).toEqual([
      { rule, line: 3, column: 17 },
    ]);
    // The receiver names its real folders when they are not the defaults.
    const r = validateSyncManifest(manifest({ outputFile: `${dataRoot}/gateway/skills/x.md` }), {
      file,
      skillDir,
      dataRoot,
      protectedPaths: [`${dataRoot}/gateway/skills`],
    });
    expect(r.findings.map((f) => f.rule)).toEqual([rule]);
  });

  it("the seed's own example, <data root>/MEMORY.md, stays allowed, as do look-alike names", () => {
    for (const target of ['MEMORY.md', 'skill-sync.md', 'skills.md', 'workspace/skill-sync/state.json'])
      expect(check(manifest({ outputFile: `${dataRoot}/${target}` })).findings, target).toEqual([]);
  });

  it('a symlinked data root itself is fine: the comparison is real path to real path', async () => {
    const alias = path.join(tmp, 'data-alias');
    await symlink(dataRoot, alias).catch(() => undefined);
    const r = validateSyncManifest(manifest({ outputFile: `${alias}/workspace/M.md` }), {
      file,
      skillDir,
      dataRoot: alias,
    });
    expect(r.findings).toEqual([]);
  });

  it('sync/patterns-empty and sync/patterns-invalid', () => {
    expect(only(manifest({ patterns: [] }))).toEqual([{ rule: 'sync/patterns-empty', line: 4, column: 15 }]);
    expect(only(manifest({ patterns: 'memory:*' }))).toEqual([
      { rule: 'sync/patterns-invalid', line: 4, column: 15 },
    ]);
  });

  it('sync/pattern-invalid points at the bad item', () => {
    // The array opens at column 15: `["memory:*",` takes 12 columns, so the second item starts at column 27.
    for (const bad of ['', ' ', 'memory: *', 'a,b', 'memo?', 'x[ab]', 'a\\b', 'é*', 'x'.repeat(257)])
      expect(only(manifest({ patterns: ['memory:*', bad] }))).toEqual([
        { rule: 'sync/pattern-invalid', line: 4, column: 27 },
      ]);
    expect(only(manifest({ patterns: [7] }))).toEqual([
      { rule: 'sync/pattern-invalid', line: 4, column: 16 },
    ]);
    for (const good of ['*', 'notes:entry:*', 'a-b_c.d/e@f#g+h=i', '*:*'])
      expect(check(manifest({ patterns: [good] })).findings).toEqual([]);
  });

  it('sync/generator-absolute and sync/generator-invalid', () => {
    expect(only(manifest({ generator: '/usr/bin/env' }))).toEqual([
      { rule: 'sync/generator-absolute', line: 5, column: 16 },
    ]);
    expect(only(manifest({ generator: '' }))).toEqual([
      { rule: 'sync/generator-invalid', line: 5, column: 16 },
    ]);
    expect(only(manifest({ generator: ['a'] }))).toEqual([
      { rule: 'sync/generator-invalid', line: 5, column: 16 },
    ]);
  });

  it('sync/generator-outside-skill: .. or a symlink that leaves the skill', () => {
    expect(only(manifest({ generator: '../outside.sh' }))).toEqual([
      { rule: 'sync/generator-outside-skill', line: 5, column: 16 },
    ]);
    expect(only(manifest({ generator: 'scripts/escape.sh' }))).toEqual([
      { rule: 'sync/generator-outside-skill', line: 5, column: 16 },
    ]);
    expect(only(manifest({ generator: '.' }))).toEqual([
      { rule: 'sync/generator-outside-skill', line: 5, column: 16 },
    ]);
  });

  it('sync/generator-missing, sync/generator-not-file, sync/generator-not-executable', async () => {
    expect(only(manifest({ generator: 'scripts/nope.sh' }))).toEqual([
      { rule: 'sync/generator-missing', line: 5, column: 16 },
    ]);
    expect(only(manifest({ generator: 'scripts' }))).toEqual([
      { rule: 'sync/generator-not-file', line: 5, column: 16 },
    ]);
    const f = check(manifest({ generator: 'scripts/plain.sh' })).findings;
    expect(f).toEqual([
      expect.objectContaining({ rule: 'sync/generator-not-executable', line: 5, column: 16 }),
    ]);
    expect(f[0]?.fix).toContain('chmod +x');
    // The owner-exec bit is the one that counts (the bundle keeps only it).
    await chmod(path.join(skillDir, 'scripts/plain.sh'), 0o744);
    expect(check(manifest({ generator: 'scripts/plain.sh' })).findings).toEqual([]);
    await chmod(path.join(skillDir, 'scripts/plain.sh'), 0o655);
    expect(only(manifest({ generator: 'scripts/plain.sh' }))).toEqual([
      { rule: 'sync/generator-not-executable', line: 5, column: 16 },
    ]);
  });

  it('sync/description-invalid', () => {
    expect(only(manifest({ description: ['x'] }))).toEqual([
      { rule: 'sync/description-invalid', line: 6, column: 18 },
    ]);
  });

  it('reports every problem at once, each once', () => {
    const rules = only(
      manifest({ version: 2, outputFile: 'rel', patterns: [], generator: '/abs', extra: 1 }),
    ).map((f) => f.rule);
    expect(rules.sort()).toEqual(
      [
        'sync/generator-absolute',
        'sync/output-file-not-absolute',
        'sync/patterns-empty',
        'sync/unknown-field',
        'sync/version-invalid',
      ].sort(),
    );
  });

  it('the example skills pass against the default /data root', async () => {
    for (const name of ['memory-manager', 'structured-notes']) {
      const dir = path.resolve('examples/skills', name);
      const text = await readFile(path.join(dir, 'SYNC.json'), 'utf8');
      const r = validateSyncManifest(text, {
        file: `examples/skills/${name}/SYNC.json`,
        skillDir: dir,
        dataRoot: '/data',
      });
      expect(r.findings).toEqual([]);
      expect(r.manifest?.outputFile).toMatch(/^\/data\/workspace\/(MEMORY|NOTES)\.md$/);
    }
  });
});

describe('protectedPaths', () => {
  it('always holds the state store named by STATE_DB, so the receiver and the CLI refuse the same outputs', () => {
    const before = process.env.STATE_DB;
    process.env.STATE_DB = '/data/state/state.db';
    try {
      const set = protectedPaths('/data');
      // Before, only the CLI added these: the receiver accepted a bundle whose generator the CLI then refused.
      for (const f of ['/data/state/state.db', '/data/state/state.db-wal', '/data/state/state.db-shm'])
        expect(set).toContain(f);
      expect(set).toContain('/data/skill-sync');
      expect(set).toContain('/data/skills');
    } finally {
      if (before === undefined) delete process.env.STATE_DB;
      else process.env.STATE_DB = before;
    }
  });
});
