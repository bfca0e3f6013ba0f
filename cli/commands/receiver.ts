// `skill-sync receiver`: start the receiver service (configuration from environment variables).
import { EXIT, GLOBAL_HELP, parse } from '../args.js';

export const HELP = `usage: skill-sync receiver [--insecure-dev]

Starts the receiver service. It is configured by environment variables (DATA_DIR, PORT, HOST,
SKILL_SYNC_PUBLIC_KEYS, MANUAL_SYNC_API_KEY, ...): see docs/receiver.md. SIGTERM or SIGINT stop it
after the deployment in progress.

options:
  --insecure-dev    start without keys and API key, on loopback only; every deploy is refused
${GLOBAL_HELP}

exit: 0 stopped by a signal, 1 failed while running, 2 invalid configuration or port already in use`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { 'insecure-dev': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  // Loaded only here: the receiver's dependencies (hono, pino, the engine) are not needed by --help.
  const { runReceiverProcess } = await import('../../receiver/main.js');
  return runReceiverProcess(argv);
}
