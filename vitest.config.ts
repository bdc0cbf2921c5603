import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { databaseTests } from './test/select.ts';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const ALL = ['src/**/*.test.ts', 'test/**/*.test.ts', 'agent/**/*.test.ts', 'web/**/*.test.ts'];

/**
 * With DATABASE_URL set (the PostgreSQL pass of CI), run only the test files that touch a
 * database: the pure ones already ran on the PGlite pass and would prove nothing new.
 * HANGAR_TEST_ALL=1 runs everything anyway.
 */
function include(): string[] {
  if (!process.env.DATABASE_URL || process.env.HANGAR_TEST_ALL === '1') return ALL;
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...ALL.map((g) => `:(glob)${g}`)], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return databaseTests(ROOT, files);
}

// Two cores: run at most two test files at a time; integration tests spawn real processes.
export default defineConfig({
  test: {
    include: include(),
    pool: 'forks',
    // PGlite pass: every test database copies one migrated template instead of running initdb.
    globalSetup: ['test/helpers/pglite-template.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests race real processes on a shared two-core machine: a failed test runs once
    // more before it fails the suite (vitest marks such a pass as retried, so flakes stay visible).
    retry: 1,
    // CI keeps a JUnit report per pass (test-artifacts/, ignored by git) beside the console output.
    ...(process.env.CI ? { reporters: ['default', 'junit'], outputFile: { junit: `test-artifacts/junit-${process.env.DATABASE_URL ? 'postgres' : 'pglite'}.xml` } } : {}),
  },
});
