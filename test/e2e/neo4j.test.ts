// Full path, dist Action (push) → real receiver → live tree, /v1/state, and the audit in JSONL and a real Neo4j 5.26.
import neo4j, { type Driver } from 'neo4j-driver';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../action/harness.js';
import { liveTree } from '../engine/helpers.js';
import { startNeo4j, type Neo4jServer } from '../neo4j/server.js';
import { skipNeo4j } from '../neo4j/suite.js';
import { tempDir } from '../support/receiver.js';
import { ed25519Key, writeSkills } from '../support/release.js';
import {
  actionLog,
  auditLines,
  byName,
  Cleanup,
  eventually,
  liveState,
  pushDeploy,
  receiverFor,
  skillsDir,
  validateJson,
} from './kit.js';

const skip = skipNeo4j('e2e push → receiver → Neo4j audit');
const key = ed25519Key();
const cleanup = new Cleanup();

describe.skipIf(skip)('push through the dist Action to a receiver that audits into Neo4j', () => {
  let server: Neo4jServer;
  let driver: Driver;

  beforeAll(async () => {
    await ensureDist();
    server = await startNeo4j({ timeoutMs: 170_000 });
    cleanup.add(() => server.stop());
    driver = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password), {
      disableLosslessIntegers: true,
    });
    cleanup.add(() => driver.close());
  }, 180_000);
  afterAll(() => cleanup.run());

  async function count(cypher: string, params: Record<string, unknown> = {}): Promise<number> {
    const res = await driver.executeQuery(cypher, params, { database: 'neo4j', routing: neo4j.routing.READ });
    return res.records[0]!.get(0) as number;
  }

  it('deploys the skills live, reports them in /v1/state as validate does, and records one success in both sinks', async () => {
    const ws = await tempDir('skill-sync-e2e-ws-');
    const root = path.join(ws, 'skills');
    await writeSkills(root, {
      alpha: { version: '1.2.0', files: { 'scripts/run.sh': '#!/bin/sh\necho alpha\n' } },
      beta: { files: { 'references/notes.md': '# notes\n' } }, // no version: the fingerprint is the version
      gamma: { version: '0.0.1', files: { 'assets/data.json': '{"a":1}\n' } },
    });
    const rx = await receiverFor(key, cleanup, {
      env: { NEO4J_URI: server.uri, NEO4J_USER: server.user, NEO4J_PASSWORD: server.password },
    });

    const run = await pushDeploy(ws, [rx], key);
    expect(run.code, actionLog(run)).toBe(0);
    const deploymentId = run.outputs['deployment-id'];
    expect(deploymentId).toBeTruthy();

    // Live tree: byte for byte and exec bit for exec bit what the repo holds.
    const source = await liveTree(root);
    expect(Object.keys(source)).toHaveLength(6);
    expect(source['alpha/scripts/run.sh']).toMatch(/\|x$/);
    expect(await liveTree(skillsDir(rx))).toEqual(source);

    // /v1/state: the names, versions and fingerprints `skill-sync validate --json` computes from the source.
    const expected = (await validateJson(root)).sort(byName);
    expect(expected.map((s) => s.name)).toEqual(['alpha', 'beta', 'gamma']);
    const state = await liveState(rx);
    expect(state.deploymentId).toBe(deploymentId);
    expect(state.serial).toBe(Number(run.outputs['serial']));
    expect([...state.skills].sort(byName)).toEqual(expected);

    // JSONL: exactly one success line for this deployment.
    const lines = await auditLines(rx.dataDir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      deploymentId,
      status: 'success',
      serial: Number(run.outputs['serial']),
      bundleSha256: run.outputs['bundle-digest'],
    });
    expect([...(lines[0]!.skills ?? [])].sort(byName)).toEqual(expected);

    // Neo4j: the shipper catches up; the graph holds the deployment, its versions and the skills.
    await eventually(
      'the audit record to reach Neo4j',
      async () => ((await count('MATCH (d:SkillDeployment) RETURN count(d)')) >= 1 ? true : undefined),
      60_000,
      () => rx.output().slice(-3000),
    );
    await eventually(
      'all DEPLOYED edges',
      async () =>
        (await count('MATCH (:SkillDeployment)-[r:DEPLOYED]->() RETURN count(r)')) >= 3 ? true : undefined,
      30_000,
    );
    expect(await count('MATCH (d:SkillDeployment) RETURN count(d)')).toBe(1);
    expect(
      await count(
        "MATCH (d:SkillDeployment {id: $id, status: 'success'}) WHERE d.skills_count = 3 RETURN count(d)",
        { id: deploymentId },
      ),
    ).toBe(1);
    expect(await count('MATCH (s:Skill) RETURN count(s)')).toBe(3);
    expect(await count('MATCH (v:SkillVersion) RETURN count(v)')).toBe(3);
    for (const s of expected) {
      expect(
        await count(
          'MATCH (:SkillDeployment {id: $id})-[:DEPLOYED]->(v:SkillVersion {name: $name, version: $version, content_sha: $fp})-[:VERSION_OF]->(:Skill {name: $name}) RETURN count(v)',
          { id: deploymentId, name: s.name, version: s.version, fp: s.fingerprint },
        ),
        s.name,
      ).toBe(1);
    }
  });
});
