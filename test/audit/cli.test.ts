// `skill-sync audit` as a real process over a JSONL data dir: --json history, --skill/--limit, --skill --at, usage errors.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit, deploy, tempDataDir } from './helpers.js';

async function dataDirWithHistory(): Promise<string> {
  const dataDir = await tempDataDir();
  await mkdir(path.join(dataDir, 'skill-sync'), { recursive: true });
  const rec = (seq: number, ts: string, input: ReturnType<typeof deploy>) =>
    JSON.stringify({ ...input, seq, timestamp: ts }) + '\n';
  await writeFile(
    path.join(dataDir, 'skill-sync', 'audit.jsonl'),
    rec(1, '2025-01-01T00:00:00.000Z', deploy('d1', [['alpha', '1.0.0']])) +
      rec(
        2,
        '2025-02-01T00:00:00.000Z',
        deploy('d2', [
          ['alpha', '2.0.0'],
          ['beta', '1.0.0'],
        ]),
      ) +
      rec(3, '2025-03-01T00:00:00.000Z', {
        deploymentId: 'r3',
        trigger: 'webhook',
        status: 'rejected',
        durationMs: 1,
        reason: 'replay',
      }) +
      rec(4, '2025-04-01T00:00:00.000Z', deploy('d4', [['alpha', '1.0.0']], { trigger: 'rollback' })) +
      '{"seq":5,"deploymentId":"torn"',
  );
  return dataDir;
}

describe('skill-sync audit (real process)', () => {
  it('prints history newest first as JSON, from --data-dir or DATA_DIR, skipping a torn tail', async () => {
    const dataDir = await dataDirWithHistory();
    const out = await audit(['--data-dir', dataDir, '--json']);
    expect(out.code).toBe(0);
    const body = JSON.parse(out.stdout) as {
      source: string;
      records: { deploymentId: string; seq: number }[];
    };
    expect(body.source).toBe('jsonl');
    expect(body.records.map((r) => r.deploymentId)).toEqual(['d4', 'r3', 'd2', 'd1']);
    const viaEnv = await audit(['--json', '--limit', '2'], { DATA_DIR: dataDir });
    expect((JSON.parse(viaEnv.stdout) as typeof body).records.map((r) => r.seq)).toEqual([4, 3]);
    const text = await audit(['--data-dir', dataDir, '--skill', 'beta']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    expect(text.stdout).toContain('d2');
    expect(text.stdout).toContain('beta@1.0.0');
  });

  it('answers which version of a skill was live at a time', async () => {
    const dataDir = await dataDirWithHistory();
    const at = async (t: string) =>
      JSON.parse((await audit(['--data-dir', dataDir, '--json', '--skill', 'alpha', '--at', t])).stdout) as {
        live: { version: string; deploymentId: string } | null;
      };
    expect((await at('2025-01-15T00:00:00Z')).live).toMatchObject({ version: '1.0.0', deploymentId: 'd1' });
    expect((await at('2025-03-15T00:00:00Z')).live).toMatchObject({ version: '2.0.0', deploymentId: 'd2' });
    expect((await at('2025-04-15T00:00:00Z')).live).toMatchObject({ version: '1.0.0', deploymentId: 'd4' });
    expect((await at('2024-12-01T00:00:00Z')).live).toBeNull();
    const human = await audit(['--data-dir', dataDir, '--skill', 'beta', '--at', '2025-02-02T00:00:00Z']);
    expect(human.stdout).toMatch(/^beta@1\.0\.0 .* live since 2025-02-01T00:00:00\.000Z via d2/);
  });

  it('exits 2 with one line on bad usage and on a partial Neo4j setting', async () => {
    const dataDir = await tempDataDir();
    for (const args of [
      ['--at', '2025-01-01'],
      ['--skill', 'a', '--at', 'soon'],
      ['--limit', '0'],
      ['--bogus'],
    ]) {
      const out = await audit(['--data-dir', dataDir, ...args]);
      expect(out, args.join(' ')).toMatchObject({ code: 2 });
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
    const partial = await audit(['--data-dir', dataDir], {
      NEO4J_URI: 'bolt://127.0.0.1:1',
      NEO4J_USER: 'neo4j',
    });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('NEO4J_PASSWORD');
    const empty = await audit(['--data-dir', dataDir, '--json']);
    expect(JSON.parse(empty.stdout)).toEqual({ source: 'jsonl', records: [] });
  });

  it('never prints the Neo4j password when Neo4j is unreachable', async () => {
    const secret = 'Cli-Secret-Pw-42';
    const out = await audit(['--json'], {
      NEO4J_URI: `bolt://neo4j:${secret}@127.0.0.1:1`,
      NEO4J_USER: 'neo4j',
      NEO4J_PASSWORD: secret,
    });
    expect(out.code).toBe(2);
    // With --json the error is JSON on stdout too.
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      error: { code: 'usage', exit: 2, message: expect.stringMatching(/^cannot read history: /) },
    });
    expect(out.stdout + out.stderr).not.toContain(secret);
    const human = await audit([], {
      NEO4J_URI: `bolt://neo4j:${secret}@127.0.0.1:1`,
      NEO4J_USER: 'neo4j',
      NEO4J_PASSWORD: secret,
    });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/^skill-sync audit: cannot read history: /);
    expect(human.stdout + human.stderr).not.toContain(secret);
  });
});
