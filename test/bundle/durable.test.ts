// Durability helpers: syncfs through `sync -f`, and the fsync-per-file fallback where `sync` cannot run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncFileSystem, syncTree } from '../../core/fsutil.js';
import { tempDir } from '../support/receiver.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

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

  it.runIf(process.platform === 'linux')('keeps working when its shell is killed', async () => {
    const { dirs } = await smallTree();
    expect(await syncFileSystem(dirs[0] as string)).toBe(true);
    const shells = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'sh'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(shells.length).toBeGreaterThan(0);
    for (const pid of shells) process.kill(Number(pid), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    expect(await syncFileSystem(dirs[0] as string)).toBe(true);
  });

  it.runIf(process.platform === 'linux')(
    'lets a process exit while idle, and its shell goes with it',
    async () => {
      const { dirs } = await smallTree();
      const script = [
        `import { execFileSync } from 'node:child_process';`,
        `import { syncFileSystem } from ${JSON.stringify(path.join(ROOT, 'lib/core/syncfs.js'))};`,
        `const ok = await syncFileSystem(${JSON.stringify(dirs[0])});`,
        `const shells = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'sh'], { encoding: 'utf8' });`,
        `console.log(JSON.stringify({ ok, shells: shells.trim().split(/\\s+/).map(Number) }));`,
      ].join('\n');
      // Would time out if the idle shell or its pipes kept the event loop alive.
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      const { ok, shells } = JSON.parse(out) as { ok: boolean; shells: number[] };
      expect(ok).toBe(true);
      expect(shells).toHaveLength(1);
      // Gone, or a zombie waiting for init to reap it (it has exited: the state in /proc/<pid>/stat is Z).
      const alive = (pid: number) => {
        try {
          return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      };
      for (const end = Date.now() + 2000; alive(shells[0] as number) && Date.now() < end;)
        await new Promise((r) => setTimeout(r, 20));
      expect(alive(shells[0] as number)).toBe(false);
    },
  );
});
