// Garbage budget: after every few MiB of short-lived buffers, run a young-generation collection, when the
// receiver was launched with `node --expose-gc` (docs/decisions.md, "Performance layer").
//
// Why: V8 frees a dead Buffer's memory only when the small JS object that holds it is collected, and it starts
// a collection for Buffer memory alone only after a large pile of it. Streaming a big bundle through the socket,
// gunzip and the I/O worker makes hundreds of such buffers that die at once, so without this the receiver's RSS
// grew by the size of the bundle and more. A scavenge of the young generation is cheap, and it runs once per
// BUDGET_BYTES: a typical deploy never triggers one. The flag is passed at launch only: Node warns that
// changing V8 flags after start-up can crash the process.

/** Buffer bytes that may die between two collections. */
export const BUDGET_BYTES = 2 * 1024 * 1024;

type Collect = (opts: { type: 'minor' }) => void;

/** `gc` exists only when the process (and so each of its workers) was started with --expose-gc. */
export function launchedCollector(): Collect | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Collect) : undefined;
}

/** Counts bytes of dead buffers and collects once the budget is spent; does nothing without --expose-gc. */
export class GarbageBudget {
  private pending = 0;
  constructor(private readonly collect = launchedCollector()) {}

  released(bytes: number): void {
    if (!this.collect) return;
    this.pending += bytes;
    if (this.pending < BUDGET_BYTES) return;
    this.pending = 0;
    this.collect({ type: 'minor' });
  }
}

const budget = new GarbageBudget();

/** Counts `bytes` of buffers that are now garbage, in this thread's budget. */
export function released(bytes: number): void {
  budget.released(bytes);
}
