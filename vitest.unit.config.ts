// The fast test layer (`npm run test:unit`): in-process tests only, no build, no child process, no network.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      // Existing pure tests, fast and in process (docs/decisions.md, "A fast test layer").
      'test/envelope/dsse.test.ts',
      'test/skill/check.test.ts',
      'test/skill/schemas.test.ts',
      'test/sync/manifest.test.ts',
      'test/secrets/rules.test.ts',
      'test/secrets/quiet.test.ts',
      'test/secrets/operator-secrets.test.ts',
      'test/secrets/allow-redact.test.ts',
      'test/secrets/redact-url.test.ts',
      'test/oidc/config.test.ts',
      'test/gateway/check-config.test.ts',
      'test/bundle/pack.test.ts',
    ],
    // Always in a random order: a test that leans on another's leftovers fails here first. The seed is printed.
    sequence: { shuffle: true },
    testTimeout: 20_000,
    pool: 'forks',
    // No build: only the run's own temp folder (test/setup/tmpdir.ts).
    globalSetup: ['test/setup/tmpdir.ts'],
  },
});
