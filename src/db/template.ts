import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Seed a PGlite data dir from a migrated template instead of running initdb (PGlite's initdb costs
 * seconds of CPU; a copy of the ~40 MB template and a start cost a third of that). Only an absent or
 * empty `dataDir` is seeded; an existing database is never touched. With no `dataDir` (an in-memory
 * database) a temporary copy is made and removed on close. The template comes from
 * `HANGAR_PGLITE_TEMPLATE` (the test suite makes one per run, see test/helpers/pglite-template.ts);
 * the migrations still run afterwards, so a template older than the code only costs time.
 *
 * @example
 * const seeded = seedPgliteDir('.hangar/pgdata', process.env.HANGAR_PGLITE_TEMPLATE);
 * await PGlite.create({ dataDir: seeded.dataDir });
 */
export function seedPgliteDir(dataDir: string | undefined, template: string | undefined): { dataDir: string | undefined; cleanup(): void } {
  const none = { dataDir, cleanup: () => {} };
  if (!template || !existsSync(join(template, 'PG_VERSION'))) return none;
  if (dataDir && existsSync(dataDir) && readdirSync(dataDir).length > 0) return none;
  const target = dataDir ?? mkdtempSync(join(tmpdir(), 'hangar-pglite-'));
  cpSync(template, target, { recursive: true });
  return { dataDir: target, cleanup: dataDir ? () => {} : () => rmSync(target, { recursive: true, force: true }) };
}
