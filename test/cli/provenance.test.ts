// What a CLI-signed release names as its source: receivers allow by repository and ref, so neither may be empty.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, ReleasePayload } from '../../core/payload.js';
import { cli } from './run.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-provenance-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const payloadOf = async (file: string): Promise<ReleasePayload> => {
  const envelope = JSON.parse(await readFile(file, 'utf8')) as Envelope;
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as ReleasePayload;
};

describe('skill-sync publish provenance', () => {
  it('signs the checked-out branch and origin when no flag or GITHUB_* says otherwise', async () => {
    const repo = path.join(work, 'repo');
    await mkdir(path.join(repo, 'skills/a'), { recursive: true });
    await writeFile(path.join(repo, 'skills/a/SKILL.md'), '---\ndescription: A.\n---\n');
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://github.com/acme/skills.git');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'skills');
    const env = {
      KEY: 'k'.repeat(40),
      GITHUB_REF: undefined,
      GITHUB_REPOSITORY: undefined,
      GITHUB_SHA: undefined,
    };
    const out = path.join(work, 'out');
    const run = await cli(
      ['publish', path.join(repo, 'skills'), '--dry-run', '--key-env', 'KEY', '--out', out],
      {
        env,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const payload = await payloadOf(path.join(out, 'skills.dsse.json'));
    // Before, publish signed ref '' and repository '', which every receiver's default allowlist refuses.
    expect(payload).toMatchObject({ repository: 'acme/skills', ref: 'refs/heads/main' });
    expect(payload.commit).toMatch(/^[0-9a-f]{40}$/);

    const flagged = await cli(
      [
        'publish',
        path.join(repo, 'skills'),
        '--dry-run',
        '--key-env',
        'KEY',
        '--out',
        out,
        '--ref',
        'refs/heads/x',
      ],
      { env },
    );
    expect(flagged.code, flagged.stderr).toBe(0);
    expect((await payloadOf(path.join(out, 'skills.dsse.json'))).ref).toBe('refs/heads/x');
  });
});
