// A generated tree in the shape of the user's repo (Danservfinn/kurultai-skills): same layout, same problems, no content.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTree, type TreeEntry } from '../skill/tree.js';

const md = (fm: string, title: string) => `---\n${fm}\n---\n\n# ${title}\n\nInstructions for ${title}.\n`;
const plain = (name: string) =>
  md(
    `name: ${name}\ndescription: Use when the user asks for ${name.replaceAll('-', ' ')} work, with steps and checks.`,
    name,
  );

/** Skills that are fine as written, present both under skills/ and (some) at the top level, as in the repo. */
const FINE = [
  'accessibility-auditor',
  'brainstorming',
  'code-reviewer',
  'frontend-design',
  'golden-horde',
  'horde-plan',
  'senior-architect',
  'senior-backend',
  'systematic-debugging',
  'writing-plans',
];
const TOP_LEVEL_COPIES = ['accessibility-auditor', 'brainstorming', 'code-reviewer', 'golden-horde'];

/** What each problem skill looks like in the repo (the fields that matter, shortened). */
const LAST30DAYS = md(
  [
    'name: last30days',
    "description: Research a topic from the last 30 days on Reddit + X + Web, and write copy-paste-ready prompts for the user's target tool.",
    'argument-hint: "[topic] for [tool]" or "[topic]"',
    'context: fork',
    'disable-model-invocation: true',
    'allowed-tools: Bash, Read, Write, AskUserQuestion, WebSearch',
  ].join('\n'),
  'last30days',
);
const ROOT_SKILL = md(
  [
    'title: Horde Debug',
    'link: horde-debug',
    'type: skill',
    'tags: [debugging, root-cause, golden-horde, multi-agent]',
    'ontological_relations:',
    '  - relates_to: [[golden-horde]]',
    '  - relates_to: [[systematic-debugging]]',
    'version: 1.0.0',
    'authors: ["Kurultai Project"]',
  ].join('\n'),
  'Horde Debug',
);
const COLON_DESCRIPTION = (name: string) =>
  md(
    `name: ${name}\ndescription: Deployment workflow for ${name}. Use this skill when the user asks to deploy: promote changes from dev, or ship.\ntags: [Deployment, DevOps]`,
    name,
  );

/** Files of the user's repo shape; `assets` are incompressible bytes of the repo's sizes (scale < 1 shrinks them). */
export function userRepoFiles(scale = 1): Record<string, TreeEntry> {
  const bytes = (n: number) => randomBytes(Math.round(n * scale));
  const files: Record<string, TreeEntry> = {
    'README.md': '# Kurultai skills\n',
    LICENSE: 'MIT\n',
    '.gitignore': 'node_modules/\n.DS_Store\n',
    '.github/workflows/deploy.yml': 'on: push\n',
    'install.sh': { content: '#!/bin/sh\necho install\n', mode: 0o755 },
    // The repo root is also a SKILL.md without a description.
    'SKILL.md': ROOT_SKILL,
    'c-suite.zip': bytes(300_000),
    'horde-swarm.zip': bytes(200_000),
    'weather-compare/.next/cache/webpack/client-development/4.pack.gz_': bytes(265_186),
    'weather-compare/package.json': '{}\n',
    // The problem skills, under skills/ as the gateway reads them.
    'skills/last30days/SKILL.md': LAST30DAYS,
    'skills/last30days/assets/claude-code-rap.mp3': bytes(2_354_231),
    'skills/last30days/assets/dog-as-human.png': bytes(2_460_679),
    'skills/last30days/assets/dog-original.jpeg': bytes(4_014_063),
    'skills/data-ingestion/pihs-scraper/SKILL.md': plain('pihs-scraper'),
    'skills/data-ingestion/pihs-scraper/scripts/scrape.py': {
      content: '#!/usr/bin/env python3\nprint(1)\n',
      mode: 0o755,
    },
    'skills/data-ingestion/pihs-scraper/scripts/data/raw/pihs/resized_pihs_redraft_standard_2025-12-20.png':
      bytes(2_909_014),
    'skills/data-ingestion/pihs-scraper/scripts/data/raw/pihs/pihs_redraft_standard_2025-12-20.png':
      bytes(508_418),
    'skills/skill-creator/SKILL.md': md(
      "name: skill-creator\ndescription: Guide for creating effective skills that extend Claude's capabilities.\nlicense: Complete terms in LICENSE.txt",
      'skill-creator',
    ),
    'skills/skill-creator/LICENSE.txt': 'Apache-2.0\n',
    'skills/ceo-advisor/SKILL.md': '\n# CEO Advisor\n\nExecutive-level strategic guidance.\n',
    'skills/dev-deploy/SKILL.md': COLON_DESCRIPTION('dev-deploy'),
    'skills/molt/SKILL.md': COLON_DESCRIPTION('molt'),
    // Top-level copies and top-level-only skills: beside the root SKILL.md the gateway never reads them.
    'ceo-advisor/SKILL.md': '\n# CEO Advisor\n',
    'horde-debug/SKILL.md': ROOT_SKILL,
    'kurultai-health/SKILL.md': '# Kurultai health\n',
    'horde-prompt/SKILL.md': plain('horde-prompt'),
    'data-ingestion/pihs-scraper/SKILL.md': plain('pihs-scraper'),
  };
  for (const name of FINE) files[`skills/${name}/SKILL.md`] = plain(name);
  for (const name of TOP_LEVEL_COPIES) files[`${name}/SKILL.md`] = plain(name);
  return files;
}

export async function makeUserRepo(scale = 1): Promise<string> {
  return makeTree(userRepoFiles(scale), 'skill-sync-user-repo-');
}

// The same repo at deploy scale, for the real gateway: 64 skills that all load, the large assets kept.

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
