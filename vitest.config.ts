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
    globalSetup: ['test/setup/global.ts'],
  },
});
