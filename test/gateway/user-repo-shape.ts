// A generated skills tree in the shape of the user's repo (64 skills, one grouped, large images/audio, a bundled name).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Skill folder names under `skills/`; `skill-creator` collides with a skill the gateway bundles. */
export const SHAPE_SKILLS: string[] = [
  'skill-creator',
  'last30days',
  'data-ingestion/pihs-scraper',
  ...Array.from({ length: 61 }, (_, i) => `kurultai-${String(i).padStart(2, '0')}`),
];

/** Large binary assets (incompressible, like the repo's JPEGs, PNGs and MP3), by skill folder. */
const ASSETS: Record<string, [string, number][]> = {
  last30days: [
    ['assets/aging-portrait.jpeg', 1_400_000],
    ['assets/claude-code-rap.mp3', 1_200_000],
    ['assets/dog-as-human.png', 1_250_000],
    ['assets/dog-original.jpeg', 2_000_000],
    ['assets/swimmom-mockup.jpeg', 1_400_000],
  ],
  'data-ingestion/pihs-scraper': [
    ['scripts/data/raw/pihs/redraft.png', 510_000],
    ['scripts/data/raw/pihs/resized_redraft.png', 1_450_000],
  ],
};

export const SHAPE_MAX_FILE_SIZE = 4_000_000;

/** Writes the tree under `<root>/skills`; `tag` goes into every description so each deploy is recognisable. */
export async function writeUserRepoShape(root: string, tag: string): Promise<void> {
  for (const folder of SHAPE_SKILLS) {
    const name = path.basename(folder);
    const dir = path.join(root, 'skills', folder);
    await mkdir(path.join(dir, 'references'), { recursive: true });
    await writeFile(
      path.join(dir, 'SKILL.md'),
      `---\nname: ${name}\ndescription: "${name} for the kurultai council (${tag})"\n---\n\n# ${name}\n\nSteps for ${name}.\n`,
    );
    await writeFile(
      path.join(dir, 'references', 'notes.md'),
      `# ${name}\n\n${'Reference text. '.repeat(200)}\n`,
    );
    for (const [rel, size] of ASSETS[folder] ?? []) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), randomBytes(size));
    }
  }
}
