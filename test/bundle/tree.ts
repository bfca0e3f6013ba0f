// Test helper: build Skill objects for a folder tree the way checkRepo reports them (no validation).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint, sha256File } from '../../core/digest.js';
import type { Skill, SkillFile } from '../../core/skill/model.js';

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(dir, p)));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** One Skill per folder name under `root/<skillsDir>`, named after the folder. */
export async function skillsFromTree(root: string, skillsDir = 'src'): Promise<Skill[]> {
  const skills: Skill[] = [];
  for (const name of await readdir(path.join(root, skillsDir))) {
    const dir = path.join(root, skillsDir, name);
    const files: SkillFile[] = [];
    for (const p of await listFiles(dir)) {
      const full = path.join(dir, p);
      const { sha256, size } = await sha256File(full);
      files.push({ path: p, sha256, size, mode: (await stat(full)).mode & 0o100 ? 0o755 : 0o644 });
    }
    const fp = fingerprint(files);
    skills.push({
      name,
      path: `${skillsDir}/${name}`,
      version: fp,
      versionSource: 'fingerprint',
      fingerprint: fp,
      files,
      valid: true,
    });
  }
  return skills;
}
