import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import { seedPgliteDir } from './template.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The raw-SQL door pg-boss and LISTEN/NOTIFY use. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

export interface Database extends SqlExecutor {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Subscribe to a NOTIFY channel (PostgreSQL and PGlite both support it). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
/** Advisory lock key held while migrating, so replicas starting together migrate once. */
const MIGRATION_LOCK = 727_001;

/**
 * Open the database: PGlite under `dataDir` (or in memory when `dataDir` is undefined), or
 * PostgreSQL when `url` is given. Runs the migrations under an advisory lock either way.
 *
 * @example
 * const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.hangar/pgdata' });
 */
export async function openDatabase(opts: { url?: string; dataDir?: string }): Promise<Database> {
  return opts.url ? openPostgres(opts.url) : openPglite(opts.dataDir);
}

async function openPglite(dir?: string): Promise<Database> {
  const seeded = seedPgliteDir(dir, process.env.HANGAR_PGLITE_TEMPLATE);
  const dataDir = seeded.dataDir;
  const client = await PGlite.create(dataDir ? { dataDir } : undefined);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await migratePglite(db as never, { migrationsFolder: MIGRATIONS });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
  return {
    kind: 'pglite',
    db,
    async executeSql(text, values) {
      if (values && values.length) return (await client.query(text, values)) as { rows: any[] };
      const results = await client.exec(text);
      return (results[results.length - 1] ?? { rows: [] }) as { rows: any[] };
    },
    async listen(channel, onPayload) {
      const unsub = await client.listen(channel, onPayload);
      return async () => unsub();
    },
    async notify(channel, payload) {
      await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      await client.close();
      seeded.cleanup();
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {}); // a dropped idle client is replaced on next use
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(lockClient, { schema }), { migrationsFolder: MIGRATIONS });
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    lockClient.release();
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const listeners: pg.Client[] = [];
  return {
    kind: 'postgres',
    db,
    async executeSql(text, values) {
      return pool.query(text, values as unknown[]);
    },
    async listen(channel, onPayload) {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => {});
      await c.connect();
      c.on('notification', (n) => n.channel === channel && onPayload(n.payload ?? ''));
      await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
      listeners.push(c);
      return async () => {
        await c.end().catch(() => {});
      };
    },
    async notify(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      await Promise.all(listeners.map((c) => c.end().catch(() => {})));
      await pool.end();
    },
  };
}
