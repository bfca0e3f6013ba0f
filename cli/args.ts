// Argument parsing for CLI commands: node's parseArgs, with usage errors mapped to exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CheckOptions } from '../core/check.js';
import { PROFILES, isProfile } from '../core/skill/profiles.js';
import { PLACEMENTS, type Placement } from '../core/gateway/discovery.js';

/** Exit codes from DESIGN.md: 0 ok, 1 findings or refused, 2 usage or config error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** The validation options shared by `validate`, `pack` and `publish`. */
export const CHECK_ARGS = {
  profile: { type: 'string' },
  'required-fields': { type: 'string' },
  'max-file-size': { type: 'string' },
  'data-root': { type: 'string' },
  placement: { type: 'string' },
} as const;

export function checkOptionsFrom(values: {
  profile?: string;
  'required-fields'?: string;
  'max-file-size'?: string;
  'data-root'?: string;
  placement?: string;
}): CheckOptions {
  const profile = values.profile ?? 'openclaw';
  if (!isProfile(profile))
    throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got '${profile}'`);
  const opts: CheckOptions = { profile };
  const size = values['max-file-size'];
  if (size !== undefined) {
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size)) || Number(size) < 1)
      throw new UsageError(`--max-file-size must be a positive integer (bytes), got '${size}'`);
    opts.maxFileSize = Number(size);
  }
  const fields = values['required-fields']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (fields?.length) opts.requiredFields = fields;
  const dataRoot = values['data-root'];
  if (dataRoot !== undefined) {
    if (!dataRoot.startsWith('/'))
      throw new UsageError(`--data-root must be an absolute path, got '${dataRoot}'`);
    opts.dataRoot = dataRoot;
  }
  const placement = values.placement;
  if (placement !== undefined) {
    if (!(PLACEMENTS as readonly string[]).includes(placement))
      throw new UsageError(`--placement must be one of ${PLACEMENTS.join(', ')}, got '${placement}'`);
    opts.placement = placement as Placement;
  }
  return opts;
}
