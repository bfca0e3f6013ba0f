// Bounded concurrency: a fixed pool of workers pulls jobs by index (no per-job closures or queues to grow).

/** Runs `worker(item)` for every item with at most `max` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  max: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(max, items.length) }, run));
  return results;
}

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** A semaphore for recursive work (directory walks) where the job list is not known up front. */
export function limiter(max: number): Limiter {
  let active = 0;
  // A ring of waiters with a head index: Array#shift is O(n) and turns a long queue quadratic.
  const waiting: (() => void)[] = [];
  let head = 0;
  const release = () => {
    active--;
    if (head < waiting.length) {
      const wake = waiting[head] as () => void;
      waiting[head++] = undefined as unknown as () => void;
      if (head > 1024 && head * 2 > waiting.length) {
        waiting.splice(0, head);
        head = 0;
      }
      wake();
    }
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
