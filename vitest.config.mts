import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test file in its own process: the addon's thread count and backend choice are per process.
    pool: 'forks',
    // Two cores: one file at a time per core.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
