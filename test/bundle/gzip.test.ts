// The bundle's gzip stream: media is stored not deflated, decided by content alone, and the bytes stay reproducible.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle } from '../../core/bundle/index.js';
import { unpackBundle } from '../../receiver/io/unpack.js';
import {
  GZIP_LEVEL,
  GzipFile,
  SAMPLE_MIN_BYTES,
  STORED_LEVEL,
  contentLevel,
  readSamples,
  samplesOf,
} from '../../core/bundle/gzip.js';
import { checkRepo, PACK_RETAIN_BYTES } from '../../core/check.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-gzip-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Prose-like bytes: deflate shrinks them well. */
const text = (bytes: number) =>
  Buffer.from(
    'Steps for the skill: read the input, check each field, report. '.repeat(bytes / 64 + 1),
  ).subarray(0, bytes);

describe('contentLevel', () => {
  it('stores random (media-like) contents and deflates text', () => {
    expect(contentLevel(samplesOf(randomBytes(SAMPLE_MIN_BYTES * 2)))).toBe(STORED_LEVEL);
    expect(contentLevel(samplesOf(text(SAMPLE_MIN_BYTES * 2)))).toBe(GZIP_LEVEL);
  });

  it('deflates small contents whatever they hold: a level switch costs more than it saves', () => {
    expect(samplesOf(randomBytes(SAMPLE_MIN_BYTES - 1))).toEqual([]);
    expect(contentLevel(samplesOf(randomBytes(SAMPLE_MIN_BYTES - 1)))).toBe(GZIP_LEVEL);
  });

  it('is not decided by a compressible header alone', () => {
    const media = Buffer.concat([text(64 * 1024), randomBytes(1024 * 1024)]);
    expect(contentLevel(samplesOf(media))).toBe(STORED_LEVEL);
  });

  it('samples a streamed file at the same places as the same bytes in memory', async () => {
    const bytes = Buffer.concat([text(100_000), randomBytes(300_000), text(50_000)]);
    const file = path.join(work, 'sampled.bin');
    await writeFile(file, bytes);
    const fh = await open(file, 'r');
    try {
      expect(await readSamples(fh, bytes.length)).toEqual(samplesOf(bytes));
    } finally {
      await fh.close();
    }
  });
});

describe('GzipFile', () => {
  it('writes a gzip member gunzip accepts, pinned header included, even with nothing put', async () => {
    const file = path.join(work, 'empty.gz');
    const w = new GzipFile(file);
    const { size } = await w.close();
    const bytes = await readFile(file);
    expect(bytes.length).toBe(size);
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    expect(gunzipSync(bytes).length).toBe(0);
  });

  it('rejects the puts and level switch that follow a failed file (taken name), instead of waiting forever', async () => {
    const file = path.join(work, 'taken.gz');
    await writeFile(file, 'not ours');
    const w = new GzipFile(file);
    await expect(
      (async () => {
        await w.put(randomBytes(2 * 1024 * 1024));
        await w.setLevel(STORED_LEVEL);
        await w.put(randomBytes(2 * 1024 * 1024));
        await w.close();
      })(),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    await w.abort();
    expect(await readFile(file, 'utf8')).toBe('not ours');
  });
});

describe('packBundle with media', () => {
  let root: string;
  const media = {
    'cover.jpeg': randomBytes(700_000),
    'song.mp3': randomBytes(2_500_000),
    'photo.png': Buffer.concat([text(40_000), randomBytes(1_300_000)]),
  };
  beforeAll(async () => {
    root = path.join(work, 'media');
    for (const name of ['alpha', 'beta']) {
      await mkdir(path.join(root, name, 'assets'), { recursive: true });
      await writeFile(
        path.join(root, name, 'SKILL.md'),
        `---\nname: ${name}\ndescription: ${name} with media\n---\n\n${'Steps. '.repeat(400)}\n`,
      );
      await writeFile(path.join(root, name, 'notes.md'), text(300_000));
      for (const [file, bytes] of Object.entries(media))
        await writeFile(path.join(root, name, 'assets', file), bytes);
    }
  });

  it('gives the same bytes whether the files were kept in memory, streamed, or some of each', async () => {
    const checks = [
      await checkRepo(root),
      await checkRepo(root, { retainBytes: PACK_RETAIN_BYTES }),
      await checkRepo(root, { retainBytes: 3_000_000 }),
    ];
    expect(checks[0]!.contents.size).toBe(0);
    expect(checks[2]!.contents.size).toBeGreaterThan(0);
    expect(checks[2]!.contents.size).toBeLessThan(checks[1]!.contents.size);
    const packed = [];
    for (const [i, c] of checks.entries()) {
      const out = path.join(work, `media-${i}.tar.gz`);
      packed.push({ ...(await packBundle(root, c.skills, out, { contents: c.contents })), out });
    }
    expect(new Set(packed.map((p) => p.sha256)).size).toBe(1);
    // A valid gzip member (gunzip checks the CRC-32 and size) that the receiver unpacks to the same bytes.
    const bytes = await readFile(packed[0]!.out);
    expect(bytes.length).toBe(packed[0]!.size);
    expect(gunzipSync(bytes).length % 512).toBe(0);
    const staging = path.join(work, 'media-staging');
    await unpackBundle(packed[0]!.out, staging);
    for (const [file, content] of Object.entries(media))
      expect((await readFile(path.join(staging, 'skills/beta/assets', file))).equals(content)).toBe(true);
    expect((await readFile(path.join(staging, 'skills/alpha/notes.md'))).equals(text(300_000))).toBe(true);
  });

  it('spends well under the CPU of deflating the media, and still compresses the text', async () => {
    const check = await checkRepo(root, { retainBytes: PACK_RETAIN_BYTES });
    const all = Buffer.concat([...check.contents.values()]);
    const before = process.cpuUsage();
    const deflatedSize = gzipSync(all, { level: GZIP_LEVEL }).length;
    const deflate = process.cpuUsage(before);
    const start = process.cpuUsage();
    const packed = await packBundle(root, check.skills, path.join(work, 'media-cpu.tar.gz'), {
      contents: check.contents,
    });
    const pack = process.cpuUsage(start);
    // Both figures count every thread of this process (zlib's pool included), not other processes' load. A pack
    // that deflates everything costs at least the baseline (plus tar, CRC and sha256); storing media costs a copy.
    expect(pack.user + pack.system).toBeLessThan((deflate.user + deflate.system) * 0.75);
    // Stored media costs its own size plus block headers (and a stored text header); the text is still deflated.
    const mediaBytes = 2 * Object.values(media).reduce((n, b) => n + b.length, 0);
    expect(packed.size).toBeLessThan(mediaBytes + 50_000);
    expect(packed.size).toBeLessThan(deflatedSize * 1.02);
  });
});
