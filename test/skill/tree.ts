// Test helper: write a file tree into a fresh temp dir (real filesystem, no mocks).
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type TreeEntry =
  string | Uint8Array | { content: string | Uint8Array; mode: number } | { symlink: string };

export async function makeTree(
  files: Record<string, TreeEntry>,
  prefix = 'skill-sync-skill-',
): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  await writeTree(root, files);
  return root;
}

export async function writeTree(root: string, files: Record<string, TreeEntry>): Promise<void> {
  for (const [rel, entry] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    if (typeof entry === 'string' || entry instanceof Uint8Array) await writeFile(abs, entry);
    else if ('symlink' in entry) await symlink(entry.symlink, abs);
    else {
      await writeFile(abs, entry.content);
      await chmod(abs, entry.mode);
    }
  }
}

/** A minimal valid SKILL.md. */
export function skillMd(name: string, extra = ''): string {
  return `---\nname: ${name}\ndescription: Does ${name} things.\n${extra}---\n\n# ${name}\n`;
}
