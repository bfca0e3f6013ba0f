// Prints the agreement table: every corpus case, the pinned gateway's verdict and skill-sync's (docs/gateway.md).
import { GATEWAY_ID } from '../core/gateway/pin.js';
import { renderTable, runDifferential } from './gateway/differential.js';

const rows = await runDifferential();
process.stdout.write(`Agreement with ${GATEWAY_ID}\n\n${renderTable(rows)}`);
process.exitCode = rows.every((r) => r.agree) ? 0 : 1;
