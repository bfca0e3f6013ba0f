// 20 simultaneous pushes of 5 serials: one deployment at a time, the highest serial ends live, never a mixed set.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTree } from '../engine/helpers.js';
import { startReceiver, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';
import { readFile } from 'node:fs/promises';

const key = ed25519Key();
let rx: ReceiverProcess;
const releases: SignedRelease[] = [];
const shapes: string[] = [];

beforeAll(async () => {
  // Symlink strategy: the whole set switches in one rename, so any observation mid-run must be one release.
  rx = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, DEPLOY_STRATEGY: 'symlink' } });
  for (let i = 0; i < 5; i++) {
    const skills: Record<string, { version: string; body: string }> = {};
    for (let j = 0; j <= i; j++) skills[`s${i}-${j}`] = { version: `${i}.0.0`, body: `# release ${i}\n` };
    releases.push(await buildRelease(skills, key.signing));
    shapes.push(
      Object.keys(skills)
        .map((n) => `${n}/SKILL.md`)
        .sort()
        .join(),
    );
  }
});
afterAll(async () => {
  await rx?.stop();
});

describe('concurrent pushes', () => {
  it('ends with the highest serial live, others applied in order or refused, never mixed', async () => {
    const skills = path.join(rx.dataDir, 'skills');
    let sampling = true;
    const seen = new Set<string>();
    const sampler = (async () => {
      while (sampling) {
        const tree = await liveTree(skills).catch(() => ({}));
        const shape = Object.keys(tree).sort().join();
        if (shape) seen.add(shape);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const pushes = Array.from({ length: 20 }, (_, i) => postBundle(rx.url, releases[i % 5]!));
    const results = await Promise.all(pushes);
    sampling = false;
    await sampler;

    for (const r of results) expect([201, 200, 409]).toContain(r.status);
    expect(
      Object.keys(await liveTree(skills))
        .sort()
        .join(),
    ).toBe(shapes[4]);
    for (const shape of seen) expect(shapes, `mixed tree observed: ${shape}`).toContain(shape);

    const audit = (await readFile(path.join(rx.dataDir, 'skill-sync/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; serial: number });
    const applied = audit.filter((a) => a.status === 'success').map((a) => a.serial);
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.at(-1)).toBe(releases[4]!.payload.serial);
  });
});
