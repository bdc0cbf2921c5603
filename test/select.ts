import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What marks a module as one that opens a database (directly or by starting Hangar). */
const TOUCHES_DB = /\b(startTestHangar|testDatabase|startHangar|spawnHangar|openDatabase)\b|process\.env\.DATABASE_URL/;
/** Suites that run on the PGlite pass only (see below). */
const ONCE = [
  'test/e2e/',
  'test/security/',
  'test/contract/',
  'test/emulators/',
  'test/bootstrap/',
  // The CLI's output and exit codes, the terminal and TCP relays, the inventory's rendering and the
  // SSH provider's transport: their queries are the routes' and the engine's, which run on both.
  'test/integration/cli.test.ts',
  'test/integration/cli-pipelines.test.ts',
  'test/integration/reach.test.ts',
  'test/integration/inventory.test.ts',
  'src/providers/ssh.test.ts',
];
/** Local imports that load code at run time (`import type` loads nothing). */
const IMPORT = /(?:import|export)\s+(?!type\s)[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/**
 * The test files that touch a database, directly or through the local modules they import: the
 * only ones worth running again on PostgreSQL (the others run once, on the PGlite pass).
 *
 * @example
 * databaseTests('/repo', ['src/domain/names.test.ts', 'test/integration/agent.test.ts']) // → ['test/integration/agent.test.ts']
 */
export function databaseTests(root: string, files: string[]): string[] {
  const memo = new Map<string, boolean>();
  const touches = (file: string, seen: Set<string>): boolean => {
    if (memo.has(file)) return memo.get(file)!;
    if (seen.has(file) || !existsSync(file)) return false;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    let hit = TOUCHES_DB.test(text);
    for (const m of text.matchAll(IMPORT)) {
      if (hit) break;
      const target = resolve(dirname(file), m[1] ?? m[2]);
      hit = touches(target, seen);
    }
    memo.set(file, hit);
    return hit;
  };
  // Browser tests judge the dashboard, the fuzzers and the route matrix judge the HTTP layer, the
  // contract, emulator and bootstrap suites judge requests and rendered artifacts, the files named
  // in ONCE judge a client or a transport: none of them judges the database under them, and the
  // other integration tests run every query path on PostgreSQL, so they run once, on the PGlite
  // pass (CI stays within its time).
  return files.filter((f) => !ONCE.some((dir) => f.startsWith(dir)) && touches(join(root, f), new Set())).map((f) => relative(root, join(root, f)));
}
