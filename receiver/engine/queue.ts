// In-process FIFO: jobs run one after another in arrival order, never two at once.

export class FifoQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get size(): number {
    return this.pending;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(job);
    // The chain must survive a failed job, or every later job would reject with its error.
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  /** Resolves once every job queued so far has settled. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
