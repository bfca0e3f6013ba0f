// A full data volume mid-deploy: a real receiver on a small tmpfs refuses with 507 and keeps the live set whole.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTree } from '../engine/helpers.js';
import { startReceiver, tempDir, type ReceiverProcess } from '../support/receiver.js';
import { buildRelease, ed25519Key, postBundle, type SignedRelease } from '../support/release.js';

/** A tmpfs needs root (CI runs as root); elsewhere the suite says why it did not run. */
function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
  }
}

const key = ed25519Key();
let mountPoint = '';
let why: string | null = 'not set up';
let rx: ReceiverProcess | undefined;
let small: SignedRelease;
let big: SignedRelease;

/** Prose-like text from a fixed seed: gzip shrinks it about 3:1, well inside the bomb ratio. */
function page(seed: number, words: number): string {
  const vocab =
    'skill reads input checks field schema writes report step fails stops value wrong use run'.split(' ');
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(i % 13 === 12 ? `${vocab[x % vocab.length]}.\n` : `${vocab[x % vocab.length]}${x % 1000}`);
  }
  return out.join(' ');
}

const bigSpec = () =>
  Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [
      `big-${i}`,
      { version: '1.0.0', files: { 'references/r.md': page(i + 1, 25_000) } },
    ]),
  );

beforeAll(async () => {
  mountPoint = await tempDir('skill-sync-full-');
  why = mountTmpfs(mountPoint, '16m');
  if (why) {
    console.log(`disk-full suite skipped: cannot mount a tmpfs here (${why})`);
    return;
  }
  small = await buildRelease({ alpha: { version: '1.0.0' } }, key.signing);
  big = await buildRelease(bigSpec(), key.signing);
  rx = await startReceiver({
    dataDir: path.join(mountPoint, 'data'),
    env: { SKILL_SYNC_PUBLIC_KEYS: key.publicKeys, DEPLOY_STRATEGY: 'in-place' },
  });
});

afterAll(async () => {
  await rx?.stop();
  if (!why) execFileSync('umount', [mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

describe('disk full during a deploy', () => {
  it('answers 507 disk-full, keeps the old live set exactly, leaves no scratch files, and deploys once space is back', async (ctx) => {
    if (why || !rx) return ctx.skip();
    expect((await postBundle(rx.url, small)).status).toBe(201);
    const before = await liveTree(path.join(rx.dataDir, 'skills'));
    expect(Object.keys(before)).toEqual(['alpha/SKILL.md']);
    // Leave room for the received bundle and a little more, far less than it unpacks to (~2.5 MB).
    expect(big.bundle.length).toBeLessThan(1_500_000);
    const free = () => {
      const out = execFileSync('df', ['-B1', '--output=avail', mountPoint]).toString().trim().split('\n');
      return Number(out[out.length - 1]);
    };
    await mkdir(path.join(mountPoint, 'filler'));
    await writeFile(
      path.join(mountPoint, 'filler', 'f'),
      Buffer.alloc(Math.max(0, free() - big.bundle.length - 300_000)),
    );

    const res = await postBundle(rx.url, big);
    expect(res.json).toMatchObject({ error: { code: 'disk-full' } });
    expect(res.status).toBe(507);
    expect(res.json).toMatchObject({ status: 'failed', error: { code: 'disk-full' } });
    expect(await liveTree(path.join(rx.dataDir, 'skills'))).toEqual(before);
    const ss = path.join(rx.dataDir, 'skill-sync');
    expect(await readdir(path.join(ss, 'staging'))).toEqual([]);
    expect(await readdir(path.join(ss, 'tmp'))).toEqual([]);
    expect(await readdir(path.join(ss, 'releases'))).toHaveLength(1);

    await rm(path.join(mountPoint, 'filler'), { recursive: true });
    // Same content, new serial: a retry after the operator freed space.
    const retry = await buildRelease(bigSpec(), key.signing);
    const ok = await postBundle(rx.url, retry);
    expect(ok.status).toBe(201);
    const live = Object.keys(await liveTree(path.join(rx.dataDir, 'skills')));
    expect(live.filter((p) => p.endsWith('/SKILL.md'))).toHaveLength(12);
    expect(live).toHaveLength(24);
  });
});
