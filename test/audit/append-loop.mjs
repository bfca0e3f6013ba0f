// Test driver: appends audit records as fast as it can and prints each acknowledged seq, until SIGKILLed.
import { AuditTrail } from '../../lib/core/audit/index.js';

const dataDir = process.argv[2];
const trail = await AuditTrail.open({ dataDir, rotateBytes: 1e12 });
// Large lines make it likely that the kill lands in the middle of a write.
const filler = 'x'.repeat(Number(process.argv[3] ?? 262144));
for (let i = 0; ; i++) {
  const r = await trail.record({
    deploymentId: `k${i}`,
    trigger: 'polling',
    status: 'failed',
    durationMs: i,
    error: filler,
  });
  process.stdout.write(`${r.seq}\n`);
}
