// The tree I/O worker's entry: answers requests from receiver/io/tree-io-pool.ts, one at a time, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { GarbageBudget } from './memory.js';
import type { Request, WorkerData } from './protocol.js';
import { serve } from './serve.js';

const { umask } = workerData as WorkerData;
// The worker keeps its own garbage budget (see memory.ts): the bytes it reads and writes die in this heap.
const budget = new GarbageBudget();

parentPort?.on('message', (req: Request) => {
  const res = serve(req, umask);
  parentPort?.postMessage(res, res.op === 'read' ? [res.buf] : []);
  if (req.op === 'write') budget.released(req.buf.byteLength);
  if (res.op === 'read') budget.released(res.buf.byteLength);
});
