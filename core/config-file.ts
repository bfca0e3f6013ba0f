// `.skillsync.yml`: a repository's settings (profile, limits, ignore rules), read the same way by the CLI and the Action.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CheckOptions } from './check.js';
import { schemaValidator } from './schemas.js';
import type { Profile } from './skill/profiles.js';

export const CONFIG_FILE = '.skillsync.yml';
/** A settings file is a few lines; anything bigger is a mistake (or a hostile file), not settings. */
const MAX_CONFIG_BYTES = 64 * 1024;

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export interface RepoConfig {
  /** The file these settings came from. */
  file: string;
  profile?: Profile;
  requiredFields?: string[];
  maxFileSize?: number;
  /** gitignore patterns relative to the skills folder. */
  ignore?: string[];
}

interface ConfigDoc {
  profile?: Profile;
  requiredFields?: string[];
  limits?: { maxFileSize?: number };
  ignore?: string[];
}

/**
 * The nearest `.skillsync.yml` at or above `start`. The search stops at `stop` (the Action's workspace) or at the
 * folder holding `.git` (the repository root), so a file outside the repository never applies.
 */
export function findConfigFile(start: string, stop?: string): string | undefined {
  let dir = path.resolve(start);
  const end = stop === undefined ? undefined : path.resolve(stop);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (dir === end || parent === dir || existsSync(path.join(dir, '.git'))) return undefined;
    dir = parent;
  }
}

export function loadConfigFile(file: string): RepoConfig {
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES)
      throw new ConfigFileError(`${file}: larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigFileError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const validate = schemaValidator<ConfigDoc>('skillsync');
  if (!validate(doc)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : 'top level';
    const params = (first?.params ?? {}) as { additionalProperty?: string; allowedValues?: unknown[] };
    const what = params.additionalProperty
      ? `unknown key '${params.additionalProperty}'`
      : params.allowedValues
        ? `must be one of ${params.allowedValues.join(', ')}`
        : (first?.message ?? 'is invalid');
    throw new ConfigFileError(`${file}: ${where}: ${what} (schema: schemas/skillsync.schema.json)`);
  }
  return {
    file,
    ...(doc.profile ? { profile: doc.profile } : {}),
    ...(doc.requiredFields ? { requiredFields: doc.requiredFields } : {}),
    ...(doc.limits?.maxFileSize !== undefined ? { maxFileSize: doc.limits.maxFileSize } : {}),
    ...(doc.ignore?.length ? { ignore: doc.ignore } : {}),
  };
}

/** The file's settings under the options given explicitly: a flag or an Action input always wins. */
export function withConfigFile(explicit: CheckOptions, config: RepoConfig | undefined): CheckOptions {
  if (!config) return explicit;
  const merged: CheckOptions = { ...explicit };
  merged.profile ??= config.profile;
  merged.requiredFields ??= config.requiredFields;
  merged.maxFileSize ??= config.maxFileSize;
  if (config.ignore) merged.ignore = [...config.ignore, ...(explicit.ignore ?? [])];
  for (const k of ['profile', 'requiredFields', 'maxFileSize'] as const)
    if (merged[k] === undefined) delete merged[k];
  return merged;
}
