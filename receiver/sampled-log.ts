// Sampled warnings: one log line per reason and interval, so a flood of junk requests cannot flood the log.
import type { Log } from './log.js';

export class SampledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Log,
    private readonly intervalMs = 60_000,
    private readonly now = () => Date.now(),
  ) {}

  /** Logs the first `key` of each interval, carrying how many were left out since the last line. */
  warn(key: string, obj: object, msg: string): void {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.log.warn({ ...obj, sampled: true, suppressed: seen?.suppressed ?? 0 }, msg);
    this.last.set(key, { at: t, suppressed: 0 });
  }
}
