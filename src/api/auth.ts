import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys } from '../db/schema.ts';
import { hashToken, newToken } from '../domain/tokens.ts';

/**
 * Create the first admin API key if the installation has none. Returns the plaintext key
 * exactly once (it is stored only as a hash), or null when keys already exist.
 * (Checking keys on each request: `KeyStore.authenticate` in src/db/stores/keys.ts.)
 *
 * @example
 * const first = await ensureAdminKey(db); // 'hgr_…' on the first start, then null
 */
export async function ensureAdminKey(db: Db): Promise<string | null> {
  return db.transaction(async (tx) => {
    // Serialise concurrent first starts of several replicas.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727002)`);
    const [existing] = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    if (existing) return null;
    const key = newToken('hgr');
    await tx.insert(apiKeys).values({ name: 'admin', prefix: key.slice(0, 8), hash: hashToken(key), project: null, role: 'admin', createdBy: 'first start' });
    return key;
  });
}
