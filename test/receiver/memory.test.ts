// Garbage budget (core/memory.ts): once allowed, released buffers are freed within the budget, not at ~64 MB.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/receiver.js';

/** Runs in a fresh process: make 8 MiB of dead 64 KiB buffers, report them, then the Buffer memory still held. */
function arrayBuffersAfter(allow: boolean): number {
  const mod = path.join(REPO, 'lib/core/memory.js');
  const script = `
    const m = await import(${JSON.stringify(mod)});
    if (${allow}) m.allowCollections();
    for (let i = 0; i < 128; i++) { Buffer.allocUnsafeSlow(65536).fill(1); m.released(65536); }
    process.stdout.write(String(process.memoryUsage().arrayBuffers));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString());
}

describe('garbage budget', () => {
  it('frees dead buffers after each budget once collections are allowed', () => {
    // 8 MiB died; with a 2 MiB budget at most one budget's worth may still be held.
    expect(arrayBuffersAfter(true)).toBeLessThan(3 * 1024 * 1024);
  });

  it('does nothing unless allowed (a short CLI run keeps V8 defaults)', () => {
    expect(arrayBuffersAfter(false)).toBeGreaterThan(6 * 1024 * 1024);
  });
});
