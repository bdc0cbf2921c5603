import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A database of its own for one test file: on PostgreSQL (DATABASE_URL set) a fresh database,
 * dropped afterwards; on PGlite nothing (each Hangar gets its own data dir).
 *
 * @example
 * const db = await testDatabase('engine'); // { url: 'postgres://…/hangar_engine_ab12cd' | undefined }
 * await db.drop();
 */
export async function testDatabase(tag: string): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: undefined, drop: async () => {} };
  const name = `hangar_${tag.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
