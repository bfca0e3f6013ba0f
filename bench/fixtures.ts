// Benchmark fixtures: a generated skills repo of N realistic skills (SKILL.md, a script, a reference doc).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const GUIDE = [
  '## When to use',
  'Use this skill when the user asks for help with the task below. Read the references first, then act.',
  '## Steps',
  '1. Check the inputs; ask when something is missing.',
  '2. Run `scripts/run.sh` with the arguments from the request and report what it printed.',
  '3. Summarise the result in two sentences, with links to any files that changed.',
  '```bash',
  'export API_URL="https://api.example.com"',
  'curl -fsS -H "Authorization: Bearer $TOKEN" "$API_URL/v1/items" | jq .',
  '```',
  '',
].join('\n');

/** Writes `count` skills under `root/skills/` (grouped 100 per folder, like a large monorepo). */
export async function generateSkillsRepo(root: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `skill-${String(i).padStart(5, '0')}`;
    const dir = path.join(root, 'skills', `group-${Math.floor(i / 100)}`, name);
    await mkdir(path.join(dir, 'scripts'), { recursive: true });
    await mkdir(path.join(dir, 'references'), { recursive: true });
    await writeFile(
      path.join(dir, 'SKILL.md'),
      `---\nname: ${name}\ndescription: Helps with task number ${i}, end to end.\nversion: 1.${i % 10}.0\n---\n\n# ${name}\n\n${GUIDE}`,
    );
    await writeFile(
      path.join(dir, 'scripts', 'run.sh'),
      `#!/bin/sh\n# ${name}\necho "running ${name} $@"\n`,
      { mode: 0o755 },
    );
    await writeFile(path.join(dir, 'references', 'guide.md'), `# ${name} reference\n\n${GUIDE.repeat(4)}`);
  }
}
