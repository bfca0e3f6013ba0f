// Receiver entry point for `node lib/receiver/index.js` (the Docker image's command).
import { runReceiverProcess } from './main.js';

process.exitCode = await runReceiverProcess(process.argv.slice(2));
