// Argument parsing for CLI commands: node's parseArgs (usage errors exit 2, did-you-mean) and shared check options.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CheckOptions } from '../core/check.js';
import { findConfigFile, loadConfigFile, withConfigFile } from '../core/config-file.js';
import { PROFILES, isProfile } from '../core/skill/profiles.js';
import { PLACEMENTS, type Placement } from '../core/gateway/discovery.js';
import { DEFAULT_MAX_FILE_BYTES } from '../core/bundle/limits.js';

import { didYouMean, UsageError } from './usage.js';

export { didYouMean, EXIT, UsageError } from './usage.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /^Unknown option '([^'=]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const known = Object.entries(options).flatMap(([name, o]) => [
        `--${name}`,
        ...(o.short ? [`-${o.short}`] : []),
      ]);
      const hint = didYouMean(unknown, known);
      throw new UsageError(`unknown option '${unknown}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
    throw new UsageError(e.message);
  }
}

export function unknownSubcommand(sub: string, known: readonly string[], command: string): string {
  const hint = didYouMean(sub, known);
  return `unknown subcommand '${sub}'${hint ? ` (did you mean '${hint}'?)` : ''}; see skill-sync help ${command}`;
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
  config: { type: 'string' },
  'no-config': { type: 'boolean' },
} as const;

/** Help lines for CHECK_ARGS, so every command that takes them documents them the same way. */
export const CHECK_HELP = `  --profile P              ${PROFILES.join(' | ')} (default openclaw)
  --required-fields a,b    required frontmatter fields, overriding the profile
  --max-file-size N        per-file limit in bytes, SKILL.md excepted (default ${DEFAULT_MAX_FILE_BYTES};
                           SKILL.md always has the gateway's 256000)
  --placement P            where the receiver's live folder sits for the gateway: managed (default:
                           its managed skills folder, which beats bundled skills) | extra (skills.load.extraDirs)
  --data-root DIR          the gateway's data root, for SYNC.json outputFile (default /data)
  --config FILE            settings file (default: the nearest .skillsync.yml from dir up to the repo root)
  --no-config              ignore any .skillsync.yml`;

/** The global options' help lines (cli/index.ts handles them), shown by every command's --help. */
export const GLOBAL_HELP = `  -q, --quiet              no progress or summary lines, only results and errors
  --no-color               no colour (also NO_COLOR=1; colour only on a terminal)
  -h, --help               show this help`;

/**
 * Check options from the flags, over the repository's `.skillsync.yml` (docs/cli.md): a flag given explicitly
 * always wins over the file.
 */
export function checkOptionsFrom(
  values: {
    profile?: string;
    'required-fields'?: string;
    'max-file-size'?: string;
    'data-root'?: string;
    placement?: string;
    config?: string;
    'no-config'?: boolean;
  },
  dir = '.',
): CheckOptions {
  const profile = values.profile;
  if (profile !== undefined && !isProfile(profile))
    throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got '${profile}'`);
  const opts: CheckOptions = profile ? { profile } : {};
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
  if (values.config !== undefined && values['no-config'])
    throw new UsageError('give --config FILE or --no-config, not both');
  if (values['no-config']) return opts;
  const file = values.config ?? findConfigFile(dir);
  return withConfigFile(opts, file === undefined ? undefined : loadConfigFile(file));
}
