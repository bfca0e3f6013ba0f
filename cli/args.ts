// Argument parsing for CLI commands: node's parseArgs, with usage errors mapped to exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

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
