// Garbage budget: after every few MiB of short-lived buffers, run a collection, where the process has allowed it.
//
// Why: V8 frees a dead Buffer's memory only when the small JS object that holds it is collected, and it starts
// a collection for Buffer memory alone only after about 64 MB of it has piled up. Streaming a 50 MB bundle
// through the socket, gunzip and the I/O worker makes hundreds of such buffers that die at once, so without
// this the receiver's RSS grew by the size of the bundle and more. A collection of just the
// young generation (a scavenge: the dead buffers are young) costs well under a millisecond, and it runs once
// per BUDGET_BYTES: a typical (sub-MB) deploy never triggers one.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Buffer bytes that may die between two collections. */
export const BUDGET_BYTES = 2 * 1024 * 1024;

type Collect = (opts: { type: 'minor' }) => void;

let collect: Collect | undefined;
let pending = 0;

/**
 * Lets this process (and workers started after this call) run collections on demand. The receiver calls it at
 * start; a CLI run is too short for garbage to matter. Harmless where the runtime refuses the flag.
 */
export function allowCollections(): void {
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  } catch {
    collect = undefined;
  }
}

/** Counts `bytes` of buffers that are now garbage, and collects once the budget is spent. */
export function released(bytes: number): void {
  if (!collect) return;
  pending += bytes;
  if (pending < BUDGET_BYTES) return;
  pending = 0;
  collect({ type: 'minor' });
}
