import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { installation } from '../db/schema.ts';

/** This installation's id (created once; every cloud label carries it). */
export async function installationId(db: Db): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727003)`);
    const [row] = await tx.select().from(installation).limit(1);
    if (row) return row.id;
    const [created] = await tx.insert(installation).values({}).returning();
    return created.id;
  });
}
