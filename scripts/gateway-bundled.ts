// Writes core/gateway/bundled-skills.json: the skills the pinned gateway provides by itself (an empty state's list).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_ID } from '../core/gateway/pin.js';
import { askGateway, gatewayRuntime, newGatewayState, removeGatewayState } from './gateway/oracle.js';

export interface BundledSkills {
  gateway: string;
  /** Name → the gateway source that provides it (`openclaw-bundled`, `openclaw-custodian`, plugin `openclaw-extra`). */
  skills: Record<string, string>;
}

/** What the pinned gateway lists with no skills of ours: its own skills, by name. */
export async function listBundledSkills(): Promise<BundledSkills> {
  const state = await newGatewayState();
  try {
    const answer = await askGateway(gatewayRuntime(), state);
    const skills: Record<string, string> = {};
    for (const s of [...answer.skills].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      skills[s.name] = s.source;
    }
    return { gateway: GATEWAY_ID, skills };
  } finally {
    await removeGatewayState(state);
  }
}

export function renderBundled(b: BundledSkills): string {
  return JSON.stringify(b, null, 2) + '\n';
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(
  HERE,
  path.basename(path.resolve(HERE, '..')) === 'lib' ? '../..' : '..',
  'core/gateway/bundled-skills.json',
);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const b = await listBundledSkills();
  await writeFile(OUT, renderBundled(b));
  process.stdout.write(
    `${Object.keys(b.skills).length} skills of ${b.gateway} → ${path.relative(process.cwd(), OUT)}\n`,
  );
}
