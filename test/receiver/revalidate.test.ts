// The receiver's re-validation, on a real process: a bundle whose skills break the Action's rules is refused.
//
// The bundles are what a CI that skipped validation would send (docs/security.md, row 10): packed and signed
// with the product's core, findings and all. Every rule that reads file contents, modes or SYNC_DATA_ROOT.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle } from '../../core/bundle/index.js';
import { checkRepo } from '../../core/check.js';
import { checksummedToken, rng } from '../secrets/fakes.js';
import { startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { ed25519Key, postBundle, signBundle, writeSkills, type SkillSpec } from '../support/release.js';

const key = ed25519Key();
const SECRET = checksummedToken('ghp', rng(11));
let rx: ReceiverProcess;
let dataRoot: string;

beforeAll(async () => {
  // The data root is the receiver's own temp data dir: an outputFile under the default /data is outside it.
  rx = await startReceiver({ env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys } });
  dataRoot = rx.dataDir;
});
afterAll(async () => {
  await rx.stop();
});

/** Packs and signs `skills` as the Action would, without refusing what its check found. */
async function release(skills: Record<string, SkillSpec>) {
  const root = await tempDir('skill-sync-reval-');
  await writeSkills(root, skills);
  const checked = await checkRepo(root, { dataRoot });
  const out = `${root}.tar.gz`;
  await packBundle(root, checked.skills, out, { contents: checked.contents });
  return signBundle(await readFile(out), [key.signing], { skills: checked.skills.length });
}

const sync = (outputFile: string, generator = 'gen.sh') =>
  JSON.stringify({ version: '1', outputFile, patterns: ['notes:*'], generator });

const live = async () =>
  ((await (await fetch(`${rx.url}/health`)).json()) as { live: { serial: number } | null }).live?.serial;

describe('re-validation of an unpacked bundle', () => {
  it('accepts a SYNC.json skill whose executable generator writes under SYNC_DATA_ROOT', async () => {
    const rel = await release({
      notes: {
        files: { 'SYNC.json': sync(path.join(dataRoot, 'notes.md')), 'gen.sh': '#!/bin/sh\necho\n' },
      },
    });
    const res = await postBundle(rx.url, rel);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(await live()).toBe(rel.payload.serial);
  });

  it.each<[string, () => Record<string, SkillSpec>, string]>([
    ['a committed secret', () => ({ leaky: { files: { 'notes.md': `token ${SECRET}\n` } } }), 'secret/'],
    [
      'a frontmatter that is never closed',
      () => ({ broken: { files: { 'SKILL.md': '---\nname: broken\ndescription: x\n' } } }),
      'frontmatter/unclosed',
    ],
    [
      'a generator without the exec bit',
      () => ({ noexec: { files: { 'SYNC.json': sync(path.join(dataRoot, 'n.md')), 'gen.sh': 'echo\n' } } }),
      'sync/generator-not-executable',
    ],
    [
      'a missing generator',
      () => ({ nogen: { files: { 'SYNC.json': sync(path.join(dataRoot, 'n.md'), 'nope.sh') } } }),
      'sync/generator-missing',
    ],
    [
      'an outputFile outside SYNC_DATA_ROOT',
      () => ({ away: { files: { 'SYNC.json': sync('/data/away.md'), 'gen.sh': '#!/bin/sh\necho\n' } } }),
      'sync/output-file-outside-data-root',
    ],
    [
      "an outputFile in the receiver's own folder",
      () => ({
        own: {
          files: {
            'SYNC.json': sync(path.join(dataRoot, 'skill-sync', 'state.json')),
            'gen.sh': '#!/bin/sh\necho\n',
          },
        },
      }),
      'sync/output-file-protected',
    ],
  ])(
    'refuses %s with invalid-skills, naming the rule, and keeps the live set',
    async (_name, skills, rule) => {
      const before = await live();
      const res = await postBundle(rx.url, await release(skills()));
      const error = res.json.error as { code: string; message: string };
      expect([res.status, error.code]).toEqual([422, 'invalid-skills']);
      expect(error.message).toContain(rule);
      expect(JSON.stringify(res.json)).not.toContain(SECRET);
      expect(await live()).toBe(before);
    },
  );
});
