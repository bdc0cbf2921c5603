import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/**
 * Time-limited leadership in the shared database: the holder renews before `ttlSeconds` pass;
 * a holder that dies loses it when the lease expires. Works the same on PGlite and PostgreSQL.
 *
 * @example
 * if (await acquireLease(db, 'reconciler', replicaId, 300)) { ... ; await releaseLease(db, 'reconciler', replicaId) }
 */
export async function acquireLease(db: Db, name: string, holder: string, ttlSeconds: number): Promise<boolean> {
  const res = await db.execute(sql`
    INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${holder}, now() + make_interval(secs => ${ttlSeconds}))
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.expires_at < now() OR leases.holder = excluded.holder
    RETURNING holder`);
  return rowsOf(res).length === 1;
}

export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.execute(sql`DELETE FROM leases WHERE name = ${name} AND holder = ${holder}`);
}

/** Who holds `name` now, if anyone. */
export async function leaseHolder(db: Db, name: string): Promise<string | null> {
  const res = await db.execute(sql`SELECT holder FROM leases WHERE name = ${name} AND expires_at >= now()`);
  return (rowsOf(res)[0]?.holder as string | undefined) ?? null;
}

/** drizzle's execute returns `{ rows }` on both drivers. */
function rowsOf(res: unknown): Record<string, unknown>[] {
  return ((res as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}
