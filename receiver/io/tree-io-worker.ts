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
  // Counted before the post: a transferred buffer reads as empty afterwards. A read's per-file buffers died
  // when they were gathered into the one it sends.
  const garbage = req.op === 'write' ? req.buf.byteLength : res.op === 'read' ? res.buf.byteLength : 0;
  parentPort?.postMessage(res, res.op === 'read' ? [res.buf] : []);
  budget.released(garbage);
});
