// How the CLI prints: --quiet, colour only on a terminal (NO_COLOR honoured), and errors as a line or as JSON.
import { styleText } from 'node:util';

/** Set once by cli/index.ts from the global flags, before a command runs. */
export const output = { quiet: false, noColor: false };

type Style = 'red' | 'yellow' | 'green' | 'bold' | 'dim';

/**
 * Colour when the stream is a terminal that supports it. NO_COLOR (no-color.org) and --no-color always win;
 * FORCE_COLOR forces it on a pipe. Node's own rules for these variables differ between majors, so we decide here
 * and tell styleText not to decide again.
 */
export function colourOn(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (output.noColor || (env.NO_COLOR ?? '') !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && typeof stream.hasColors === 'function' && stream.hasColors();
}

export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return colourOn(stream) ? styleText(style, text, { validateStream: false }) : text;
}

/** An error as --json prints it (stdout, where a script reading JSON looks); the exit code says the same. */
export function printJsonError(code: string, exit: number, message: string): void {
  process.stdout.write(JSON.stringify({ v: 1, ok: false, error: { code, exit, message } }, null, 2) + '\n');
}

/** Progress and summary lines: silenced by --quiet (results a command was asked for are printed anyway). */
export function info(text: string): void {
  if (!output.quiet) process.stdout.write(text);
}
