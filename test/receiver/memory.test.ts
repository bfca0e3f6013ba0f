// Garbage budget (receiver/io/memory.ts): launched with --expose-gc, released buffers are freed within the
// budget; launched without it, nothing is collected by hand and nothing fails.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/receiver.js';

/** Runs in a fresh process: make 8 MiB of dead 64 KiB buffers, report them, then the Buffer memory still held. */
function arrayBuffersAfter(flags: string[]): number {
  const mod = path.join(REPO, 'lib/receiver/io/memory.js');
  const script = `
    const m = await import(${JSON.stringify(mod)});
    for (let i = 0; i < 128; i++) { Buffer.allocUnsafeSlow(65536).fill(1); m.released(65536); }
    process.stdout.write(String(process.memoryUsage().arrayBuffers));`;
  return Number(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script]).toString());
}

describe('garbage budget', () => {
  it('frees dead buffers after each budget when launched with --expose-gc', () => {
    // 8 MiB died; with a 2 MiB budget at most one budget's worth may still be held.
    expect(arrayBuffersAfter(['--expose-gc'])).toBeLessThan(3 * 1024 * 1024);
  });

  it('collects nothing by hand without the flag (a CLI run keeps V8 defaults), and does not fail', () => {
    expect(arrayBuffersAfter([])).toBeGreaterThan(6 * 1024 * 1024);
  });
});
