// `skill-sync` entry: dispatches `skill-sync <command> [args]` to cli/commands/<command>.ts.
import { EXIT, UsageError } from './args.js';

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

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: skill-sync <command> [options]',
    '',
    ...Object.entries(commands).map(([c, d]) => `  ${c.padEnd(width)}  ${d}`),
    '',
    'Run `skill-sync <command> --help` for options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  if (!Object.hasOwn(commands, name)) {
    process.stderr.write(`skill-sync: unknown command '${name}'\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    const mod = (await import(`./commands/${name}.js`)) as { run(argv: string[]): Promise<number> };
    return await mod.run(rest);
  } catch (err) {
    // Errors reach the user as one line; stack traces are for bugs, not for bad input.
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`skill-sync ${name}: ${msg}\n`);
    return err instanceof UsageError ? EXIT.usage : EXIT.findings;
  }
}
