import { defineConfig } from 'vitest/config';

// Two cores: run at most two test files at a time; integration tests spawn real processes.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'agent/**/*.test.ts', 'web/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests race real processes on a shared two-core machine: a failed test runs once
    // more before it fails the suite (vitest marks such a pass as retried, so flakes stay visible).
    retry: 1,
  },
});
