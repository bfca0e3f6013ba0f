// `skill-sync receiver`: start the receiver service (configuration from environment variables).
import { runReceiverProcess } from '../../receiver/main.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: skill-sync receiver [--insecure-dev]\n\nConfigured by environment variables; see docs/receiver.md.\n',
    );
    return 0;
  }
  return runReceiverProcess(argv);
}
