// `skill-sync` entry: dispatches `skill-sync <command> [args]` to cli/commands/<command>.ts.
import { packageVersion } from '../core/package-version.js';
import { didYouMean, EXIT, UsageError } from './usage.js';
import { output, paint, printJsonError } from './output.js';

const commands: Record<string, string> = {
  validate: 'Validate and secret-scan the skills under a folder',
  pack: 'Pack skills into a reproducible bundle',
  keygen: 'Create an Ed25519 key pair for signing',
  sign: 'Sign a bundle into a DSSE envelope',
  verify: 'Verify a bundle against its envelope',
  publish: 'Validate, pack, sign and POST skills to receivers',
  receiver: 'Start the receiver service',
  status: "Show a receiver's live deployment",
  rollback: 'Roll a receiver back to an earlier release',
  audit: 'Show deployment history',
  sync: 'SYNC.json manifests: list | validate | generate',
  state: 'Skill state store: get | set | list | delete',
};

interface Command {
  HELP: string;
  run(argv: string[]): Promise<number>;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: skill-sync <command> [options]',
    '',
    ...Object.entries(commands).map(([c, d]) => `  ${c.padEnd(width)}  ${d}`),
    '',
    'global options (any command):',
    '  -q, --quiet      print only results and errors, no progress or summary lines',
    '  --no-color       no colour (also NO_COLOR=1; colour is used only on a terminal)',
    '  --json           machine-readable output, errors included (commands that print results)',
    '  -h, --help       show help; `skill-sync help <command>` shows a command’s options',
    '  -V, --version    print the version',
    '',
    'exit: 0 ok, 1 findings or refused, 2 usage or config error (docs/cli.md)',
  ].join('\n');
}

/** The package's version, read at run time so the tarball, the repo and a release all report their own. */
/** File-system errors that mean the user named a path that is not there or not readable. */
const ERRNO_INPUT = new Set([
  'ENOENT',
  'EACCES',
  'EISDIR',
  'ENOTDIR',
  'EPERM',
  'EEXIST',
  'ELOOP',
  'ENAMETOOLONG',
]);

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
};

/**
 * Bad input (a missing or unreadable file, a port already in use, a bad config file) is a usage or config error:
 * exit 2 with one line. Anything else is a failure of the run: exit 1, still one line (no stack trace).
 */
function classify(err: unknown): { exit: number; code: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || e?.name === 'ConfigFileError')
    return { exit: EXIT.usage, code: 'usage', message };
  if (e?.code && ERRNO_INPUT.has(e.code) && e.path) {
    const why = ERRNO_WORDS[e.code] ?? e.code;
    return { exit: EXIT.usage, code: 'usage', message: `${e.path}: ${why}` };
  }
  // core/check.ts CheckError: the skills folder named on the command line is not there.
  if (e?.code === 'root-missing' || e?.code === 'root-not-dir')
    return { exit: EXIT.usage, code: 'usage', message };
  if (e?.code === 'EADDRINUSE') return { exit: EXIT.usage, code: 'usage', message };
  return { exit: EXIT.findings, code: 'failed', message };
}

/** Splits the global flags off (up to `--`, after which everything is an argument). */
function globals(argv: string[]): { args: string[]; json: boolean; help: boolean } {
  const args: string[] = [];
  let json = false;
  let help = false;
  let rest = false;
  for (const a of argv) {
    if (rest) args.push(a);
    else if (a === '--') {
      rest = true;
      args.push(a);
    } else if (a === '-q' || a === '--quiet') output.quiet = true;
    else if (a === '--no-color' || a === '--no-colour') output.noColor = true;
    else {
      if (a === '--json') json = true;
      if (a === '--help' || a === '-h') help = true;
      args.push(a);
    }
  }
  return { args, json, help };
}

async function load(name: string): Promise<Command> {
  return (await import(`./commands/${name}.js`)) as Command;
}

function unknownCommand(name: string): number {
  const hint = didYouMean(name, Object.keys(commands));
  process.stderr.write(
    `skill-sync: unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}\n` +
      'Run `skill-sync help` for the list of commands.\n',
  );
  return EXIT.usage;
}

export async function main(argv: string[]): Promise<number> {
  const { args, json, help } = globals(argv);
  const [name, ...rest] = args;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(packageVersion() + '\n');
    return EXIT.ok;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    (name ? process.stdout : process.stderr).write(usage() + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === 'help') {
    const topic = rest[0] as string;
    if (!Object.hasOwn(commands, topic)) return unknownCommand(topic);
    process.stdout.write((await load(topic)).HELP + '\n');
    return EXIT.ok;
  }
  if (!Object.hasOwn(commands, name)) return unknownCommand(name);
  try {
    const mod = await load(name);
    if (help) {
      process.stdout.write(mod.HELP + '\n');
      return EXIT.ok;
    }
    return await mod.run(rest);
  } catch (err) {
    // Errors reach the user as one line; stack traces are for bugs, not for bad input.
    const { exit, code, message } = classify(err);
    // `state set --json` means "the value is JSON", not "print JSON": its errors stay text.
    if (json && !(name === 'state' && rest[0] === 'set')) {
      printJsonError(code, exit, message);
    } else {
      process.stderr.write(`${paint(process.stderr, 'red', `skill-sync ${name}:`)} ${message}\n`);
    }
    return exit;
  }
}
