// Digests: sha256 of bytes, files and streams, and the skill fingerprint rule (docs/contracts.md).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SkillFile } from './skill/model.js';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** sha256 over the sorted `relative/path:sha256` lines, one per file, newline-terminated. */
export function fingerprint(files: Pick<SkillFile, 'path' | 'sha256'>[]): string {
  const lines = files.map((f) => `${f.path}:${f.sha256}\n`).sort();
  return sha256(lines.join(''));
}
