// Test runner settings: real processes and servers are slow to start, so timeouts are generous.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'core/**/*.test.ts',
      'receiver/**/*.test.ts',
      'action/**/*.test.ts',
      'cli/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Vitest's default is one worker per CPU less one: a single file at a time on a 2-core runner. Most files
    // wait on child processes, disks and servers, so two at a time keep both cores busy (docs/decisions.md, "CI").
    maxWorkers: 2,
    globalSetup: ['test/setup/global.ts'],
  },
});
