// `skill-sync state get|set|list|delete`: the seed-004 key-value store that skills and generators share.
import { existsSync, readFileSync } from 'node:fs';
import { EXIT, GLOBAL_HELP, parse, printJson, UsageError, unknownSubcommand } from '../args.js';
import { printJsonError } from '../output.js';
import { parsePatternList } from '../../core/sync/pattern.js';
import { StateStore, stateDbPath, type StateEntry } from '../../core/state/store.js';

export const HELP = `usage: skill-sync state <subcommand> [--db PATH]
  set KEY VALUE [--json] [--stdin]   store VALUE (text; --json checks it parses; --stdin reads it)
  get KEY [--json]                   print the value (exit 1 when the key is not set)
  list [--pattern 'a:*,b:*'] [--json] entries whose key matches any pattern, sorted by key
  delete KEY [--json]                remove the key (no error when it was not set)

options:
  --db PATH          the database (default $STATE_DB, else /data/skill-sync/state.db)
  --json             set: check VALUE is JSON; get, list, delete: print JSON
  --stdin            set: read VALUE from standard input
  --pattern P        list: comma-separated key globs (\`*\` only); repeatable
${GLOBAL_HELP}

Only set creates the database; get, list and delete never do.
JSON output carries value as the stored string; parse it yourself when you stored JSON.

exit: 0 ok, 1 get: the key is not set, 2 usage error`;

const SUBCOMMANDS = ['set', 'get', 'list', 'delete'];

/** One line per entry: newlines in values are escaped so the listing stays line-oriented. */
function line(e: StateEntry): string {
  return `${e.key}\t${e.value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    (sub ? process.stdout : process.stderr).write(HELP + '\n');
    return sub ? EXIT.ok : EXIT.usage;
  }
  const { values, positionals } = parse(rest, {
    db: { type: 'string' },
    json: { type: 'boolean', default: false },
    pattern: { type: 'string', multiple: true },
    stdin: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const want = (n: number, what: string): void => {
    if (positionals.length !== n)
      throw new UsageError(`state ${sub}: expected ${what} (see skill-sync help state)`);
  };
  const dbFile = values.db ?? stateDbPath();
  // Reads must not leave a database behind: a missing file is an empty store.
  const exists = existsSync(dbFile);

  switch (sub) {
    case 'set': {
      want(values.stdin ? 1 : 2, values.stdin ? 'KEY (value from stdin)' : 'KEY VALUE');
      const key = positionals[0] as string;
      const value = values.stdin ? readFileSync(0, 'utf8') : (positionals[1] as string);
      if (values.json) {
        try {
          JSON.parse(value);
        } catch (err) {
          throw new UsageError(
            `state/value-not-json: value for '${key}' is not valid JSON (${(err as Error).message.slice(0, 80)})`,
          );
        }
      }
      return withStore(dbFile, true, (s) => {
        s?.set(key, value);
        return EXIT.ok;
      });
    }
    case 'get': {
      want(1, 'KEY');
      const key = positionals[0] as string;
      return withStore(dbFile, exists, (s) => {
        const e = s?.get(key);
        if (!e) {
          const message = `state/not-found: key '${key}' is not set`;
          if (values.json) printJsonError('not-found', EXIT.findings, message);
          else process.stderr.write(message + '\n');
          return EXIT.findings;
        }
        if (values.json) printJson(e);
        else process.stdout.write(e.value + '\n');
        return EXIT.ok;
      });
    }
    case 'list': {
      want(0, 'no positional arguments');
      const patterns = (values.pattern ?? []).flatMap((p) => {
        try {
          return parsePatternList(p);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      });
      return withStore(dbFile, exists, (s) => {
        const entries = s?.list(patterns) ?? [];
        if (values.json) printJson(entries);
        else for (const e of entries) process.stdout.write(line(e) + '\n');
        return EXIT.ok;
      });
    }
    case 'delete': {
      want(1, 'KEY');
      const key = positionals[0] as string;
      return withStore(dbFile, exists, (s) => {
        const deleted = s?.delete(key) ?? false;
        if (values.json) printJson({ key, deleted });
        else process.stdout.write(deleted ? `deleted ${key}\n` : `${key} was not set\n`);
        return EXIT.ok;
      });
    }
    default:
      throw new UsageError(unknownSubcommand(sub, SUBCOMMANDS, 'state'));
  }
}

/** Runs fn on the store; with `open` false (no database yet, and the command only reads) on none. */
function withStore(file: string, open: boolean, fn: (s: StateStore | undefined) => number): number {
  if (!open) return fn(undefined);
  const store = StateStore.open(file);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
