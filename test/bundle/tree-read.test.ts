// The Action's and the CLI's tree reader (core/tree-io.ts): plain fs calls in this thread, no worker, and a
// symlink refused by an lstat where the packer asks for it, not by O_NOFOLLOW (which Windows lacks).
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessReader, openTreeIO } from '../../core/tree-io.js';
import { tempDir } from '../support/receiver.js';

const opts = { maxBytes: 1024, hashLarge: true, noFollow: true };

describe('core tree reader', () => {
  it('is the in-process reader unless a receiver installed its own', async () => {
    const io = openTreeIO();
    expect(Object.keys(io).sort()).toEqual(Object.keys(inProcessReader()).sort());
    await io.close();
  });

  it('reads, hashes and lists; refuses a symlink only when asked', async () => {
    const root = await tempDir('skill-sync-tree-read-');
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'a.txt'), 'hello');
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(4096, 7));
    await symlink('a.txt', path.join(root, 'link'));
    const io = openTreeIO();
    const [listing] = await io.readdirs([root]);
    expect(listing?.sort()).toEqual([
      ['a.txt', 2],
      ['big.bin', 2],
      ['dir', 1],
      ['link', 0],
    ]);
    const [a, big, link] = await io.readFiles(
      ['a.txt', 'big.bin', 'link'].map((f) => path.join(root, f)),
      opts,
    );
    expect(a?.bytes?.toString()).toBe('hello');
    expect(a?.sha256).toBe(createHash('sha256').update('hello').digest('hex'));
    // Over maxBytes: hashed in chunks, not returned.
    expect(big?.bytes).toBeUndefined();
    expect(big?.size).toBe(4096);
    expect(big?.sha256).toBe(createHash('sha256').update(Buffer.alloc(4096, 7)).digest('hex'));
    expect(link?.error).toBe('ELOOP');
    const [followed] = await io.readFiles([path.join(root, 'link')], { ...opts, noFollow: false });
    expect(followed?.bytes?.toString()).toBe('hello');
    expect(await io.readTexts([path.join(root, 'a.txt'), path.join(root, 'missing')])).toEqual(['hello', '']);
  });
});
