// JSONL outbox: fsynced appends, strictly increasing seq across reopen, torn-line tolerance, rotation, history and liveAt.
import { appendFile, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditTrail, liveAt, parseLines, readAuditRecords } from '../../core/audit/index.js';
import { deploy, tempDataDir } from './helpers.js';

const auditFile = (dataDir: string) => path.join(dataDir, 'skill-sync', 'audit.jsonl');

describe('JSONL outbox', () => {
  it('writes one JSON line per attempt before record() resolves, with increasing seq', async () => {
    const dataDir = await tempDataDir();
    const trail = await AuditTrail.open({ dataDir });
    const a = await trail.record(deploy('d1'));
    // Read before anything else happens: the line must already be on disk.
    const lines = (await readFile(auditFile(dataDir), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      seq: 1,
      deploymentId: 'd1',
      status: 'success',
      trigger: 'webhook',
    });
    const b = await trail.record({
      deploymentId: 'r1',
      trigger: 'webhook',
      status: 'rejected',
      durationMs: 1,
      reason: 'bad-signature',
    });
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(trail.status()).toEqual({ jsonl: 'ok', neo4j: 'disabled', lag: 0 });
    await trail.close();
  });

  it('serializes concurrent records: seq order equals file order, no interleaved lines', async () => {
    const dataDir = await tempDataDir();
    const trail = await AuditTrail.open({ dataDir });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => trail.record(deploy(`c${i}`))));
    await trail.close();
    const { records, skipped } = parseLines(await readFile(auditFile(dataDir), 'utf8'));
    expect(skipped).toBe(0);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.seq)).size).toBe(50);
  });

  it('keeps seq increasing across close and reopen', async () => {
    const dataDir = await tempDataDir();
    let trail = await AuditTrail.open({ dataDir });
    await trail.record(deploy('d1'));
    await trail.record(deploy('d2'));
    await trail.close();
    trail = await AuditTrail.open({ dataDir });
    const r = await trail.record(deploy('d3'));
    expect(r.seq).toBe(3);
    await trail.close();
  });

  it('links PREVIOUS to the last successful deployment by default, also after reopen', async () => {
    const dataDir = await tempDataDir();
    let trail = await AuditTrail.open({ dataDir });
    await trail.record(deploy('d1'));
    const failed = await trail.record(
      deploy('d2', [['alpha', '2.0.0']], { status: 'failed', error: 'disk full' }),
    );
    await trail.close();
    trail = await AuditTrail.open({ dataDir });
    const d3 = await trail.record(deploy('d3'));
    const rb = await trail.record(
      deploy('rb1', [['alpha', '1.0.0']], { trigger: 'rollback', previousDeploymentId: 'd3' }),
    );
    await trail.close();
    expect(failed.previousDeploymentId).toBeUndefined();
    expect(d3.previousDeploymentId).toBe('d1');
    expect(rb.previousDeploymentId).toBe('d3');
  });

  it('skips a torn last line, and the next append starts on a fresh line', async () => {
    const dataDir = await tempDataDir();
    let trail = await AuditTrail.open({ dataDir });
    await trail.record(deploy('d1'));
    await trail.close();
    await appendFile(auditFile(dataDir), '{"seq":2,"deploymentId":"torn","timest');
    expect((await readAuditRecords(dataDir)).records.map((r) => r.deploymentId)).toEqual(['d1']);
    expect((await readAuditRecords(dataDir)).skipped).toBe(1);
    trail = await AuditTrail.open({ dataDir });
    const next = await trail.record(deploy('d2'));
    await trail.close();
    const { records, skipped } = await readAuditRecords(dataDir);
    expect(records.map((r) => r.deploymentId)).toEqual(['d1', 'd2']);
    expect(next.seq).toBe(2);
    expect(skipped).toBe(1);
  });

  it('rotates by size, keeps a bounded number of files, and history reads across them', async () => {
    const dataDir = await tempDataDir();
    const trail = await AuditTrail.open({ dataDir, rotateBytes: 2_000, keepFiles: 2 });
    for (let i = 1; i <= 40; i++) await trail.record(deploy(`d${i}`));
    const files = (await readdir(path.join(dataDir, 'skill-sync')))
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    expect(files).toEqual(['audit.1.jsonl', 'audit.2.jsonl', 'audit.jsonl']);
    const history = await trail.history({});
    await trail.close();
    // Newest first, contiguous, ending with the last record; the oldest were rotated away.
    expect(history[0]!.seq).toBe(40);
    expect(history.length).toBeGreaterThan(5);
    expect(history.length).toBeLessThan(40);
    expect(history.map((r) => r.seq)).toEqual(Array.from({ length: history.length }, (_, i) => 40 - i));
    const newestFile = parseLines(await readFile(auditFile(dataDir), 'utf8')).records;
    expect(history.length).toBeGreaterThan(newestFile.length);
  });

  it('filters history by skill and limit, newest first', async () => {
    const dataDir = await tempDataDir();
    const trail = await AuditTrail.open({ dataDir });
    await trail.record(deploy('d1', [['alpha', '1.0.0']]));
    await trail.record(deploy('d2', [['beta', '1.0.0']]));
    await trail.record(
      deploy('d3', [
        ['alpha', '1.1.0'],
        ['beta', '1.0.0'],
      ]),
    );
    expect((await trail.history({ skill: 'alpha' })).map((r) => r.deploymentId)).toEqual(['d3', 'd1']);
    expect((await trail.history({ limit: 2 })).map((r) => r.deploymentId)).toEqual(['d3', 'd2']);
    await trail.close();
  });

  it('answers which version of a skill was live at a time', async () => {
    const dataDir = await tempDataDir();
    await mkdir(path.join(dataDir, 'skill-sync'), { recursive: true });
    const rec = (seq: number, ts: string, over: object) =>
      JSON.stringify({ ...deploy(`d${seq}`), seq, timestamp: ts, ...over }) + '\n';
    await writeFile(
      auditFile(dataDir),
      rec(1, '2025-01-01T00:00:00.000Z', {}) +
        rec(2, '2025-02-01T00:00:00.000Z', {
          skills: [{ name: 'alpha', version: '2.0.0', fingerprint: sha2 }],
        }) +
        rec(3, '2025-03-01T00:00:00.000Z', {
          status: 'failed',
          skills: [{ name: 'alpha', version: '3.0.0', fingerprint: 'x' }],
        }) +
        rec(4, '2025-04-01T00:00:00.000Z', { trigger: 'rollback' }) +
        rec(5, '2025-05-01T00:00:00.000Z', {
          skills: [{ name: 'beta', version: '1.0.0', fingerprint: 'y' }],
        }),
    );
    const { records } = await readAuditRecords(dataDir);
    expect(liveAt(records, 'alpha', '2024-12-31T00:00:00Z')).toBeUndefined();
    expect(liveAt(records, 'alpha', '2025-01-15T00:00:00Z')).toMatchObject({
      version: '1.0.0',
      deploymentId: 'd1',
    });
    expect(liveAt(records, 'alpha', '2025-03-15T00:00:00Z')).toMatchObject({
      version: '2.0.0',
      deploymentId: 'd2',
    });
    expect(liveAt(records, 'alpha', '2025-04-15T00:00:00Z')).toMatchObject({
      version: '1.0.0',
      deploymentId: 'd4',
    });
    expect(liveAt(records, 'alpha', '2025-06-01T00:00:00Z')).toBeUndefined();
    expect(() => liveAt(records, 'alpha', 'yesterday')).toThrow(/invalid time/);
  });
});

const sha2 = 'sha256:' + '2'.repeat(64);
