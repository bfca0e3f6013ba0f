// CLI round trip as real processes: keygen → pack → sign → verify, and the refusals in between.
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../core/digest.js';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/skill-sync.js');
let work: string;
const SECRET = 'hmac-secret-for-tests-0123456789abcdef';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  // lib/ is built by the global setup (test/setup/global.ts).
  for (const cmd of ['keygen', 'pack', 'sign', 'verify'])
    await stat(path.join(repo, `lib/cli/commands/${cmd}.js`));
}, 180_000);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-cli-'));
  const skill = async (name: string, extra: Record<string, string> = {}) => {
    const dir = path.join(work, 'repo', 'skills', name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'SKILL.md'),
      `---\nname: ${name}\ndescription: The ${name} skill.\n---\n# ${name}\n`,
    );
    for (const [p, c] of Object.entries(extra)) {
      await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
      await writeFile(path.join(dir, p), c);
    }
  };
  await skill('weather', { 'scripts/fetch.sh': '#!/bin/sh\necho sunny\n' });
  await skill('notes', { 'references/guide.md': 'How to take notes.\n' });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('skill-sync keygen | pack | sign | verify', () => {
  it('round trips with Ed25519 and refuses a wrong key, a tampered bundle and an overwrite', async () => {
    const kg = cli(['keygen', '--out', 'keys']);
    expect(kg.code).toBe(0);
    const line = kg.stdout.split('\n').find((l) => l.startsWith('SKILL_SYNC_PUBLIC_KEYS=ed25519:'));
    expect(line).toBeDefined();
    expect(kg.stdout).toContain('SKILL_SYNC_SIGNING_KEY');
    const keyPem = await readFile(path.join(work, 'keys/skill-sync.key'), 'utf8');
    expect((await stat(path.join(work, 'keys/skill-sync.key'))).mode & 0o777).toBe(0o600);
    const keyBody = keyPem.split('\n')[1]!;
    expect(kg.stdout + kg.stderr).not.toContain(keyBody);

    expect(cli(['keygen', '--out', 'keys']).code).toBe(2);
    expect(await readFile(path.join(work, 'keys/skill-sync.key'), 'utf8')).toBe(keyPem);

    const pk = cli(['pack', 'repo', '--out', 'skills.tar.gz', '--json']);
    expect(pk.stderr).toBe('');
    expect(pk.code).toBe(0);
    const packed = JSON.parse(pk.stdout) as { sha256: string; size: number; skills: number };
    expect(packed.skills).toBe(2);
    const bundle = await readFile(path.join(work, 'skills.tar.gz'));
    expect(sha256(bundle)).toBe(packed.sha256);
    // Packing again gives the same bytes.
    expect(JSON.parse(cli(['pack', 'repo', '--out', 'again.tar.gz', '--json']).stdout).sha256).toBe(
      packed.sha256,
    );

    const sg = cli([
      'sign',
      '--bundle',
      'skills.tar.gz',
      '--key',
      'keys/skill-sync.key',
      '--out',
      'skills.dsse.json',
      '--json',
    ]);
    expect(sg.code).toBe(0);
    expect(sg.stdout + sg.stderr).not.toContain(keyBody);
    const signed = JSON.parse(sg.stdout) as { serial: number; sha256: string };
    expect(signed.sha256).toBe(packed.sha256);
    expect(signed.serial).toBeGreaterThan(1_600_000_000_000);

    const ok = cli([
      'verify',
      '--bundle',
      'skills.tar.gz',
      '--envelope',
      'skills.dsse.json',
      '--public-key',
      'keys/skill-sync.pub',
      '--unpack-check',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`serial ${signed.serial}`);
    const setting = line!.slice('SKILL_SYNC_PUBLIC_KEYS='.length);
    expect(
      cli(['verify', '--bundle', 'skills.tar.gz', '--envelope', 'skills.dsse.json', '--public-key', setting])
        .code,
    ).toBe(0);

    expect(cli(['keygen', '--out', 'other']).code).toBe(0);
    const wrong = cli([
      'verify',
      '--bundle',
      'skills.tar.gz',
      '--envelope',
      'skills.dsse.json',
      '--public-key',
      'other/skill-sync.pub',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('bad-signature');

    const hmacWrong = cli(
      ['verify', '--bundle', 'skills.tar.gz', '--envelope', 'skills.dsse.json', '--hmac-secret-env', 'S'],
      { S: SECRET },
    );
    expect(hmacWrong.code).toBe(1);
    expect(hmacWrong.stderr).toContain('bad-signature');

    await writeFile(path.join(work, 'tampered.tar.gz'), bundle);
    await appendFile(path.join(work, 'tampered.tar.gz'), Buffer.from([0]));
    const tampered = cli([
      'verify',
      '--bundle',
      'tampered.tar.gz',
      '--envelope',
      'skills.dsse.json',
      '--public-key',
      'keys/skill-sync.pub',
    ]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('size-mismatch');
  });

  it('round trips with an HMAC secret from the environment without printing it', () => {
    expect(cli(['pack', 'repo', '--out', 'h.tar.gz']).code).toBe(0);
    const sg = cli(
      [
        'sign',
        '--bundle',
        'h.tar.gz',
        '--key-env',
        'SK',
        '--out',
        'h.dsse.json',
        '--trigger',
        'workflow_dispatch',
      ],
      { SK: SECRET },
    );
    expect(sg.code).toBe(0);
    expect(sg.stdout + sg.stderr).not.toContain(SECRET);
    const ok = cli(
      ['verify', '--bundle', 'h.tar.gz', '--envelope', 'h.dsse.json', '--hmac-secret-env', 'SK', '--json'],
      { SK: SECRET },
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).payload.trigger).toBe('workflow_dispatch');
    expect(ok.stdout).not.toContain(SECRET);
    const short = cli(['sign', '--bundle', 'h.tar.gz', '--key-env', 'SK', '--out', 'x.json'], {
      SK: 'short',
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 32 bytes');
    expect(short.stderr).not.toContain('short\n');
  });

  it('pack refuses invalid skills unless --on-invalid skip', async () => {
    const dir = path.join(work, 'mixed/skills');
    await mkdir(path.join(dir, 'good'), { recursive: true });
    await mkdir(path.join(dir, 'bad'), { recursive: true });
    await writeFile(path.join(dir, 'good/SKILL.md'), '---\nname: good\ndescription: Fine.\n---\n');
    await writeFile(path.join(dir, 'bad/SKILL.md'), '---\nname: bad\n---\nno description\n');
    const refused = cli(['pack', 'mixed', '--out', 'mixed.tar.gz']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('bad/SKILL.md');
    const skipped = cli(['pack', 'mixed', '--out', 'mixed.tar.gz', '--on-invalid', 'skip', '--json']);
    expect(skipped.code).toBe(0);
    const r = JSON.parse(skipped.stdout) as { skills: number; skipped: string[] };
    expect(r).toMatchObject({ skills: 1, skipped: ['bad'] });
  });
});
