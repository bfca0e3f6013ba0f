// Persisted engine state (`state.json`): the commit point of every deployment; what it says is live, is live.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../core/fsutil.js';
import type { HighestSerial, LiveState, ReleaseRecord } from './types.js';
import { EngineError } from './types.js';

export interface EngineState {
  v: 1;
  live: LiveState | null;
  highest: HighestSerial | null;
  /** Kept releases, newest (first applied) first. */
  releases: ReleaseRecord[];
}

export const EMPTY_STATE: EngineState = { v: 1, live: null, highest: null, releases: [] };

export async function readState(file: string): Promise<EngineState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY_STATE);
    throw err;
  }
  let parsed: EngineState;
  try {
    parsed = JSON.parse(text) as EngineState;
  } catch {
    // writeFileAtomic never leaves a torn file, so this is outside damage: refuse rather than guess.
    throw new EngineError(
      'ENGINE_STATE_CORRUPT',
      `${file} is not valid JSON; restore it or remove it to start empty`,
    );
  }
  if (parsed?.v !== 1 || !Array.isArray(parsed.releases)) {
    throw new EngineError('ENGINE_STATE_CORRUPT', `${file} has an unknown shape (v=${String(parsed?.v)})`);
  }
  return parsed;
}

export async function writeState(file: string, state: EngineState): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n');
}
