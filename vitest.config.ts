import { defineConfig } from 'vitest/config';

// Three tiers: unit (no servers), integration (real redis-server from test/harness),
// e2e (real local Spark). Integration and e2e run files one at a time: they start real
// servers and Spark drivers on a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['broker/**/*.test.ts', 'watchers/**/*.test.ts', 'sql-sinks/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The dashboard in real Chromium (Debian's, driven by playwright-core) against a real Sluice.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
