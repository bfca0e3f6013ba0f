// Durability helpers: syncfs through `sync -f`, and the fsync-per-file fallback where `sync` cannot run.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncFileSystem, syncTree } from '../../receiver/io/syncfs.js';
import { tempDir } from '../support/receiver.js';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

async function smallTree(): Promise<{ files: string[]; dirs: string[] }> {
  const root = await tempDir('skill-sync-durable-');
  await mkdir(path.join(root, 'a', 'b'), { recursive: true });
  const files = [path.join(root, 'a', 'x'), path.join(root, 'a', 'b', 'y')];
  for (const f of files) await writeFile(f, 'data');
  return { files, dirs: [root, path.join(root, 'a'), path.join(root, 'a', 'b')] };
}

describe('syncFileSystem / syncTree', () => {
  it.skipIf(process.platform !== 'linux')(
    'runs `sync` with PATH only: none of the receiver secrets',
    async () => {
      const { dirs } = await smallTree();
      const bin = await tempDir('skill-sync-fake-sync-');
      const dump = path.join(bin, 'env.txt');
      await writeFile(path.join(bin, 'sync'), `#!/bin/sh\nenv > '${dump}'\n`);
      await chmod(path.join(bin, 'sync'), 0o755);
      process.env.PATH = `${bin}:${PATH ?? ''}`;
      process.env.MANUAL_SYNC_API_KEY = 'manual-sync-key-for-the-env-test';
      try {
        expect(await syncFileSystem(dirs[0] as string)).toBe(true);
      } finally {
        delete process.env.MANUAL_SYNC_API_KEY;
      }
      const seen = await readFile(dump, 'utf8');
      expect(seen).not.toContain('manual-sync-key-for-the-env-test');
      expect(seen).toMatch(/^PATH=/m);
    },
  );

  it('flushes with one `sync -f` on Linux', async () => {
    const { dirs } = await smallTree();
    expect(await syncFileSystem(dirs[0] as string)).toBe(process.platform === 'linux');
  });

  it('says false without `sync` on PATH, and syncTree then fsyncs file by file', async () => {
    const { files, dirs } = await smallTree();
    process.env.PATH = '/nonexistent';
    expect(await syncFileSystem(dirs[0] as string)).toBe(false);
    await expect(syncTree(files, dirs)).resolves.toBeUndefined();
    // A file that is not there is an error in the fallback, not silently skipped.
    await expect(syncTree([path.join(dirs[0] as string, 'missing')], dirs)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('rejects when the flush itself fails, with what sync said', async () => {
    await expect(syncFileSystem('/nonexistent/folder')).rejects.toThrow(/sync -f failed: .*nonexistent/);
  });

  it.runIf(process.platform === 'linux')('answers concurrent flushes, each its own', async () => {
    const { dirs } = await smallTree();
    const results = await Promise.allSettled([
      syncFileSystem(dirs[0] as string),
      syncFileSystem('/nonexistent/one'),
      syncFileSystem(dirs[1] as string),
      syncFileSystem('/nonexistent/two'),
      syncFileSystem(dirs[2] as string),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(String((results[3] as PromiseRejectedResult).reason)).toMatch(/two/);
  });
});
