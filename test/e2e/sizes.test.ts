// Sizes end to end: what the built Action accepts at its default limits, a receiver left at its defaults accepts.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../action/harness.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../core/bundle/limits.js';
import { GATEWAY_ID } from '../../core/gateway/pin.js';
import { SKILL_FILE_MAX_BYTES } from '../../core/check.js';
import { liveTree } from '../engine/helpers.js';
import { tempDir } from '../support/receiver.js';
import { ed25519Key } from '../support/release.js';
import { actionLog, auditLines, Cleanup, liveState, pushDeploy, receiverFor, skillsDir } from './kit.js';

const key = ed25519Key();
const cleanup = new Cleanup();

beforeAll(ensureDist);
afterAll(() => cleanup.run());

/** A SKILL.md of exactly `bytes` bytes. */
function skillMdOf(name: string, bytes: number): string {
  const head = `---\nname: ${name}\ndescription: A skill of ${bytes} bytes.\n---\n`;
  return head + 'x'.repeat(bytes - head.length - 1) + '\n';
}

async function workspace(files: Record<string, string | Buffer>): Promise<string> {
  const ws = await tempDir('skill-sync-e2e-sizes-');
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(ws, 'skills', rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return ws;
}

describe('default size limits, Action and receiver', () => {
  it('deploys a SKILL.md at the gateway’s 256,000 bytes and media up to the per-file limit to a default receiver', async () => {
    const rx = await receiverFor(key, cleanup);
    // Incompressible bytes, so the bundle really carries them: the user's repo ships multi-MB images and audio.
    const ws = await workspace({
      'handbook/SKILL.md': skillMdOf('handbook', SKILL_FILE_MAX_BYTES),
      'media/SKILL.md': '---\nname: media\ndescription: Ships assets.\n---\n',
      'media/assets/clip.mp3': randomBytes(2_400_000),
      'media/assets/poster.png': randomBytes(DEFAULT_MAX_FILE_BYTES),
    });
    const run = await pushDeploy(ws, [rx], key);
    expect(run.code, actionLog(run)).toBe(0);
    const state = await liveState(rx);
    expect(state.skills.map((s) => s.name).sort()).toEqual(['handbook', 'media']);
    expect(await liveTree(skillsDir(rx))).toEqual(await liveTree(path.join(ws, 'skills')));
    expect((await auditLines(rx.dataDir)).map((a) => a.status)).toEqual(['success']);
    // The JSON report names the gateway whose rules the verdict follows.
    expect((run.report as { gateway?: string }).gateway).toBe(GATEWAY_ID);
  }, 120_000);

  it('refuses in the Action, before sending, what is over a limit: a SKILL.md past 256,000 bytes, a file past 10 MiB', async () => {
    const rx = await receiverFor(key, cleanup);
    const ws = await workspace({
      'handbook/SKILL.md': skillMdOf('handbook', SKILL_FILE_MAX_BYTES + 1),
      'media/SKILL.md': '---\nname: media\ndescription: Ships assets.\n---\n',
      'media/assets/poster.png': randomBytes(DEFAULT_MAX_FILE_BYTES + 1),
    });
    const run = await pushDeploy(ws, [rx], key);
    expect(run.code).toBe(1);
    const big = run.commands.filter(
      (c) => c.command === 'error' && c.props.title === 'skill-sync file/too-large',
    );
    expect(big.map((c) => c.props.file).sort()).toEqual([
      'skills/handbook/SKILL.md',
      'skills/media/assets/poster.png',
    ]);
    expect(await auditLines(rx.dataDir)).toEqual([]);
  }, 120_000);
});
