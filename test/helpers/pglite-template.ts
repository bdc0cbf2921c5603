import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIGRATIONS = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

/** A hash of every migration file: a template is reused only while the migrations are the same. */
function migrationsHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(e.name).update(readFileSync(p));
    }
  };
  walk(MIGRATIONS);
  return h.digest('hex').slice(0, 16);
}

/**
 * Vitest global setup for the PGlite pass: one migrated PGlite data dir per set of migrations,
 * which every test database and test Hangar copies instead of running initdb and the migrations
 * (see src/db/template.ts). Made once per run (or reused from the last run), in the OS temp dir.
 */
export default async function setup(): Promise<void> {
  if (process.env.DATABASE_URL || process.env.HANGAR_PGLITE_TEMPLATE) return;
  const dir = join(tmpdir(), `hangar-pglite-template-${migrationsHash()}`);
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    const { openDatabase } = await import('../../src/db/client.ts');
    const building = `${dir}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    const db = await openDatabase({ dataDir: building });
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
  }
  process.env.HANGAR_PGLITE_TEMPLATE = dir;
}
