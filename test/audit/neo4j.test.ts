// Audit trail against a real Neo4j 5.26 (one server per file): schema, counts, PREVIOUS chain, shared SkillVersion,
// idempotence, no password leaks, and a lossless catch-up after an outage.
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuditTrail, neo4jHistory, parseLines, type AuditTrailOptions } from '../../core/audit/index.js';
import { startNeo4j, freePort, type Neo4jServer } from '../neo4j/server.js';
import { skipNeo4j } from '../neo4j/suite.js';
import { audit, captureLog, deploy, tempDataDir, waitFor } from './helpers.js';

const skip = skipNeo4j('audit Neo4j sink');

describe.skipIf(skip)('Neo4j sink (real Neo4j 5.26)', () => {
  let server: Neo4jServer;
  let driver: Driver;
  const db = { database: 'neo4j', routing: neo4j.routing.READ };

  function connect(): void {
    driver = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password), {
      disableLosslessIntegers: true,
    });
  }

  beforeAll(async () => {
    server = await startNeo4j({ timeoutMs: 170_000 });
    connect();
  }, 180_000);

  afterAll(async () => {
    await driver?.close();
    await server?.stop();
  });

  async function count(cypher: string, params: Record<string, unknown> = {}): Promise<number> {
    const res = await driver.executeQuery(cypher, params, db);
    return res.records[0]!.get(0) as number;
  }

  async function clean(): Promise<void> {
    await driver.executeQuery(
      'MATCH (n) DETACH DELETE n',
      {},
      { database: 'neo4j', routing: neo4j.routing.WRITE },
    );
  }

  function neo4jOpts(dataDir: string, extra: Partial<AuditTrailOptions> = {}): AuditTrailOptions {
    return {
      dataDir,
      neo4j: { uri: server.uri, user: server.user, password: server.password, database: 'neo4j' },
      shipIntervalMs: 100,
      retryMaxMs: 1_000,
      ...extra,
    };
  }

  async function shipped(trail: AuditTrail, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      'shipper to catch up',
      () => trail.status().neo4j === 'connected' && trail.status().lag === 0,
      timeoutMs,
    );
  }

  it('creates the uniqueness constraints idempotently', async () => {
    for (let i = 0; i < 2; i++) {
      const trail = await AuditTrail.open(neo4jOpts(await tempDataDir()));
      await waitFor('connected', () => trail.status().neo4j === 'connected');
      await trail.close();
    }
    const res = await driver.executeQuery(
      'SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type RETURN *',
      {},
      db,
    );
    const got = res.records.map(
      (r) =>
        `${(r.get('labelsOrTypes') as string[]).join()}(${(r.get('properties') as string[]).join()}) ${r.get('type') as string}`,
    );
    expect(got.sort()).toEqual([
      'Skill(name) UNIQUENESS',
      'SkillDeployment(id) UNIQUENESS',
      'SkillVersion(name,content_sha) UNIQUENESS',
    ]);
  });

  it('a deploy produces exactly the SkillDeployment, SkillVersion and Skill nodes and their relationships', async () => {
    await clean();
    const trail = await AuditTrail.open(neo4jOpts(await tempDataDir()));
    await trail.record(
      deploy('dep-1', [
        ['alpha', '1.0.0'],
        ['beta', '2.1.0'],
      ]),
    );
    await shipped(trail);
    await trail.close();
    expect(await count('MATCH (d:SkillDeployment) RETURN count(d)')).toBe(1);
    expect(await count('MATCH (v:SkillVersion) RETURN count(v)')).toBe(2);
    expect(await count('MATCH (s:Skill) RETURN count(s)')).toBe(2);
    expect(
      await count("MATCH (:SkillDeployment {id:'dep-1'})-[r:DEPLOYED]->(:SkillVersion) RETURN count(r)"),
    ).toBe(2);
    expect(await count('MATCH (:SkillVersion)-[r:VERSION_OF]->(:Skill) RETURN count(r)')).toBe(2);
    expect(await count('MATCH ()-[r]->() RETURN count(r)')).toBe(4);
    const res = await driver.executeQuery(
      "MATCH (d:SkillDeployment {id:'dep-1'})-[:DEPLOYED]->(v:SkillVersion {name:'beta'})-[:VERSION_OF]->(s:Skill) RETURN d, v, s",
      {},
      db,
    );
    const d = res.records[0]!.get('d').properties as Record<string, unknown>;
    expect(d).toMatchObject({
      id: 'dep-1',
      repository: 'acme/skills',
      commit_sha: 'a'.repeat(40),
      serial: 1_700_000_000_000,
      status: 'success',
      trigger: 'webhook',
      skills_count: 2,
      duration_ms: 42,
    });
    expect(typeof d.bundle_sha256).toBe('string');
    expect(neo4j.isDateTime(d.timestamp as object)).toBe(true);
    const v = res.records[0]!.get('v').properties as Record<string, unknown>;
    expect(v).toMatchObject({ name: 'beta', version: '2.1.0' });
    expect(String(v.content_sha)).toMatch(/^sha256:/);
    expect(neo4j.isDateTime(v.deployed_at as object)).toBe(true);
  });

  it('links a rollback in the PREVIOUS chain and shares one SkillVersion between deploys of the same content', async () => {
    await clean();
    const trail = await AuditTrail.open(neo4jOpts(await tempDataDir()));
    await trail.record(deploy('v1', [['alpha', '1.0.0']]));
    await trail.record(deploy('v2', [['alpha', '2.0.0']]));
    await trail.record(deploy('rb', [['alpha', '1.0.0']], { trigger: 'rollback' }));
    await trail.record({
      deploymentId: 'rej',
      trigger: 'webhook',
      status: 'rejected',
      durationMs: 1,
      reason: 'replay',
    });
    await shipped(trail);
    await trail.close();
    const chain = await driver.executeQuery(
      "MATCH p = (:SkillDeployment {id:'rb'})-[:PREVIOUS*]->(last) WHERE NOT (last)-[:PREVIOUS]->() RETURN [n IN nodes(p) | n.id] AS ids",
      {},
      db,
    );
    expect(chain.records.map((r) => r.get('ids'))).toEqual([['rb', 'v2', 'v1']]);
    expect(await count("MATCH (v:SkillVersion {name:'alpha', version:'1.0.0'}) RETURN count(v)")).toBe(1);
    expect(
      await count(
        "MATCH (d)-[:DEPLOYED]->(:SkillVersion {name:'alpha', version:'1.0.0'}) RETURN count(DISTINCT d)",
      ),
    ).toBe(2);
    expect(await count('MATCH (v:SkillVersion) RETURN count(v)')).toBe(2);
    expect(await count('MATCH (s:Skill) RETURN count(s)')).toBe(1);
    // The rejected attempt is recorded with its reason code, outside the chain and with nothing deployed.
    expect(
      await count("MATCH (d:SkillDeployment {id:'rej', status:'rejected', reason:'replay'}) RETURN count(d)"),
    ).toBe(1);
    expect(await count("MATCH (d:SkillDeployment {id:'rej'})--() RETURN count(d)")).toBe(0);
  });

  it('re-shipping from position 0 (lost position file, retries) duplicates nothing', async () => {
    await clean();
    const dataDir = await tempDataDir();
    let trail = await AuditTrail.open(neo4jOpts(dataDir));
    for (let i = 1; i <= 5; i++) await trail.record(deploy(`d${i}`, [['alpha', `1.0.${i % 2}`]]));
    await shipped(trail);
    await trail.close();
    const { rm } = await import('node:fs/promises');
    await rm(`${dataDir}/skill-sync/audit-shipper.json`);
    trail = await AuditTrail.open(neo4jOpts(dataDir));
    expect(trail.status().lag).toBe(5);
    await shipped(trail);
    await trail.close();
    expect(await count('MATCH (d:SkillDeployment) RETURN count(d)')).toBe(5);
    expect(await count('MATCH (v:SkillVersion) RETURN count(v)')).toBe(2);
    expect(await count('MATCH ()-[r:PREVIOUS]->() RETURN count(r)')).toBe(4);
    expect(await count('MATCH ()-[r:DEPLOYED]->() RETURN count(r)')).toBe(5);
  });

  it('reads history back from Neo4j in the JSONL shape, newest first', async () => {
    await clean();
    const dataDir = await tempDataDir();
    const trail = await AuditTrail.open(neo4jOpts(dataDir));
    await trail.record(deploy('h1', [['alpha', '1.0.0']]));
    await trail.record(deploy('h2', [['beta', '1.0.0']]));
    await shipped(trail);
    const fromJsonl = await trail.history({});
    await trail.close();
    const cfg = { uri: server.uri, user: server.user, password: server.password };
    const fromNeo4j = await neo4jHistory(cfg, {});
    expect(fromNeo4j.map((r) => r.deploymentId)).toEqual(['h2', 'h1']);
    expect(fromNeo4j).toEqual(fromJsonl);
    expect((await neo4jHistory(cfg, { skill: 'alpha' })).map((r) => r.deploymentId)).toEqual(['h1']);

    // The CLI reads Neo4j when NEO4J_* is set (the data dir is empty on purpose).
    const env = { NEO4J_URI: server.uri, NEO4J_USER: server.user, NEO4J_PASSWORD: server.password };
    const cli = await audit(['--json', '--data-dir', await tempDataDir()], env);
    expect(cli.code).toBe(0);
    const body = JSON.parse(cli.stdout) as { source: string; records: { deploymentId: string }[] };
    expect(body).toMatchObject({
      source: 'neo4j',
      records: [{ deploymentId: 'h2' }, { deploymentId: 'h1' }],
    });
    const at = await audit(['--json', '--skill', 'alpha', '--at', new Date().toISOString()], env);
    expect(JSON.parse(at.stdout)).toMatchObject({ source: 'neo4j', live: null });
    const atH1 = await audit(['--json', '--skill', 'alpha', '--at', fromJsonl[1]!.timestamp], env);
    expect(JSON.parse(atH1.stdout)).toMatchObject({ live: { version: '1.0.0', deploymentId: 'h1' } });
  });

  it('never leaks the password into logs or status() on a wrong password or an unreachable server', async () => {
    const secret = 'Sup3r-Secret-Pw!';
    const log = captureLog();
    const wrong = await AuditTrail.open({
      ...neo4jOpts(await tempDataDir(), { log }),
      neo4j: { uri: `bolt://neo4j:${secret}@127.0.0.1:${server.port}`, user: 'neo4j', password: secret },
    });
    await wrong.record(deploy('x1'));
    await waitFor('down (auth)', () => wrong.status().neo4j === 'down');
    const authStatus = wrong.status();
    await wrong.close();

    const log2 = captureLog();
    const unreachable = await AuditTrail.open({
      ...neo4jOpts(await tempDataDir(), { log: log2 }),
      neo4j: { uri: `bolt://127.0.0.1:${await freePort()}`, user: 'neo4j', password: secret },
    });
    await unreachable.record(deploy('x2'));
    await waitFor('down (unreachable)', () => unreachable.status().neo4j === 'down');
    const downStatus = unreachable.status();
    await unreachable.close();

    expect(authStatus).toMatchObject({ jsonl: 'ok', neo4j: 'down', lag: 1 });
    expect(authStatus.lastError).toMatch(/auth|unauthori/i);
    expect(downStatus).toMatchObject({ jsonl: 'ok', neo4j: 'down', lag: 1 });
    expect(downStatus.lastError).toBeTruthy();
    const everything = [
      ...log.lines,
      ...log2.lines,
      JSON.stringify(authStatus),
      JSON.stringify(downStatus),
    ].join('\n');
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log2.lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(`neo4j:${secret.slice(0, 5)}`);
  });

  it('loses and duplicates nothing across an outage, a trail restart mid-catch-up and a lost position', async () => {
    await clean();
    const dataDir = await tempDataDir();
    const jsonl = path.join(dataDir, 'skill-sync', 'audit.jsonl');
    let trail = await AuditTrail.open(neo4jOpts(dataDir, { retryMaxMs: 2_000 }));
    await trail.record(deploy('out-0'));
    await shipped(trail);

    await driver.close();
    await server.stop();
    for (let i = 1; i <= 20; i++) {
      // Each resolves once fsynced to the JSONL, whatever Neo4j is doing.
      const r = await trail.record(deploy(`out-${i}`, [['alpha', `1.0.${i % 3}`]]));
      expect(r.seq).toBe(i + 1);
    }
    expect(parseLines(await readFile(jsonl, 'utf8')).records).toHaveLength(21);
    await waitFor('status down', () => trail.status().neo4j === 'down');
    expect(trail.status().lag).toBe(20);
    // The receiver restarts while Neo4j is still down: the backlog is on the volume, not in memory.
    await trail.close();
    trail = await AuditTrail.open(neo4jOpts(dataDir, { retryMaxMs: 2_000 }));
    expect(trail.status().lag).toBe(20);

    server = await startNeo4j({ dataDir: server.dataDir, port: server.port, timeoutMs: 170_000 });
    connect();
    // Restart the trail as soon as catch-up has begun (it may already be done on a fast machine).
    await waitFor('catch-up to start', () => trail.status().lag < 20, 120_000);
    await trail.close();
    console.info(`outage: trail closed with ${await remaining(dataDir)} of 20 records still to ship`);
    trail = await AuditTrail.open(neo4jOpts(dataDir, { retryMaxMs: 2_000 }));
    await shipped(trail, 120_000);
    await trail.close();
    await expectAllOnce();

    // A crash between the Neo4j commit and the position save: the shipper resends, MERGE absorbs it.
    await writeFile(
      path.join(dataDir, 'skill-sync', 'audit-shipper.json'),
      JSON.stringify({ v: 1, target: `bolt://127.0.0.1:${server.port}/neo4j`, shippedSeq: 5 }),
    );
    trail = await AuditTrail.open(neo4jOpts(dataDir));
    expect(trail.status().lag).toBe(16);
    await shipped(trail, 120_000);
    await trail.close();
    await expectAllOnce();
  }, 420_000);

  async function remaining(dataDir: string): Promise<number> {
    const pos = JSON.parse(
      await readFile(path.join(dataDir, 'skill-sync', 'audit-shipper.json'), 'utf8'),
    ) as { shippedSeq: number };
    return 21 - pos.shippedSeq;
  }

  async function expectAllOnce(): Promise<void> {
    expect(await count('MATCH (d:SkillDeployment) RETURN count(d)')).toBe(21);
    expect(await count('MATCH (d:SkillDeployment) RETURN count(DISTINCT d.seq)')).toBe(21);
    expect(await count('MATCH ()-[r:PREVIOUS]->() RETURN count(r)')).toBe(20);
    expect(await count('MATCH ()-[r:DEPLOYED]->() RETURN count(r)')).toBe(21);
    expect(await count('MATCH (v:SkillVersion) RETURN count(v)')).toBe(3);
    // In order: walking PREVIOUS from the newest visits every deployment with seq going down by one.
    const res = await driver.executeQuery(
      "MATCH p = (:SkillDeployment {id:'out-20'})-[:PREVIOUS*]->(last) WHERE NOT (last)-[:PREVIOUS]->() RETURN [n IN nodes(p) | [n.id, n.seq]] AS chain",
      {},
      db,
    );
    const chain = res.records[0]!.get('chain') as [string, number][];
    expect(chain).toEqual(Array.from({ length: 21 }, (_, i) => [`out-${20 - i}`, 21 - i]));
  }
});
