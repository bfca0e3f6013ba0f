// Manifest `retain` (on-invalid: skip): written only when something was skipped, parsed back strictly.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest, canonicalJson, parseManifest, readBundleManifest } from '../../core/bundle/index.js';
import { plantedGithubToken } from '../action/harness.js';

const bin = path.resolve(import.meta.dirname, '../../bin/skill-sync.js');

const doc = (extra: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 1, skills: [], ...extra }));

describe('manifest retain', () => {
  it('is absent without skips, so bundles without skips keep their bytes', () => {
    expect(canonicalJson(buildManifest([]))).toBe('{"skills":[],"v":1}\n');
    expect(buildManifest([], ['b', 'a', 'a', '../x']).retain).toEqual(['a', 'b']);
  });

  it('parses names back, and refuses bad, repeated or shipped-and-retained names', () => {
    expect(parseManifest(doc({ retain: ['beta'] })).retain).toEqual(['beta']);
    expect(parseManifest(doc({})).retain).toBeUndefined();
    expect(() => parseManifest(doc({ retain: 'beta' }))).toThrow(/retain must be an array/);
    expect(() => parseManifest(doc({ retain: ['../etc'] }))).toThrow(/retain\[0\]: bad name/);
    expect(() => parseManifest(doc({ retain: ['a', 'a'] }))).toThrow(/twice/);
    const shipped = {
      name: 'beta',
      version: '1',
      path: 'skills/beta',
      source: 'beta',
      fingerprint: 'a'.repeat(64),
      files: [],
    };
    expect(() => parseManifest(doc({ skills: [shipped], retain: ['beta'] }))).toThrow(
      /both shipped and retained/,
    );
  });
});

describe('skill-sync pack --on-invalid skip', () => {
  it('retains the skipped skill in the manifest, and refuses a committed secret', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-retain-'));
    const skills = path.join(work, 'skills');
    await mkdir(path.join(skills, 'good'), { recursive: true });
    await mkdir(path.join(skills, 'bad'), { recursive: true });
    await writeFile(path.join(skills, 'good/SKILL.md'), '---\nname: good\ndescription: Fine.\n---\n');
    await writeFile(path.join(skills, 'bad/SKILL.md'), '---\nname: bad\n---\nno description\n');
    const pack = () =>
      spawnSync(
        process.execPath,
        [bin, 'pack', skills, '--out', path.join(work, 'b.tar.gz'), '--on-invalid', 'skip'],
        {
          encoding: 'utf8',
        },
      );
    expect(pack().status).toBe(0);
    const manifest = await readBundleManifest(path.join(work, 'b.tar.gz'));
    expect(manifest.skills.map((s) => s.name)).toEqual(['good']);
    expect(manifest.retain).toEqual(['bad']);
    await writeFile(path.join(skills, 'good/notes.md'), `key ${plantedGithubToken()}\n`);
    const refused = pack();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/committed secret.*good\/notes\.md:1/);
  });
});
