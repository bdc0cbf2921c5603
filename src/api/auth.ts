import { eq, isNull, and, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys } from '../db/schema.ts';
import { UnauthorizedError } from '../domain/errors.ts';
import { hashToken, newToken } from '../domain/tokens.ts';

/**
 * Create the first admin API key if the installation has none. Returns the plaintext key
 * exactly once (it is stored only as a hash), or null when keys already exist.
 */
export async function ensureAdminKey(db: Db): Promise<string | null> {
  return db.transaction(async (tx) => {
    // Serialise concurrent first starts of several replicas.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727002)`);
    const [existing] = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    if (existing) return null;
    const key = newToken('hgr');
    await tx.insert(apiKeys).values({ name: 'admin', prefix: key.slice(0, 8), hash: hashToken(key) });
    return key;
  });
}

/**
 * Resolve a bearer API key to its actor (`api:<name>`); throws UnauthorizedError. Every call reads
 * the key's row (one indexed lookup), so a revoked key stops working at once on every replica.
 *
 * @example
 * const actor = await new ApiKeyAuth(db).check('Bearer hgr_…'); // → 'api:admin'
 */
export class ApiKeyAuth {
  constructor(private readonly db: Db) {}

  async check(header: string | undefined): Promise<string> {
    const m = /^Bearer\s+(hgr_[A-Za-z0-9_-]{20,100})$/.exec(header ?? '');
    if (!m) throw new UnauthorizedError(header ? 'malformed API key' : 'send an API key as "Authorization: Bearer hgr_…" (shown once at first start, or set HANGAR_API_KEY for the CLI)');
    const [row] = await this.db.select({ name: apiKeys.name }).from(apiKeys).where(and(eq(apiKeys.hash, hashToken(m[1])), isNull(apiKeys.revokedAt)));
    if (!row) throw new UnauthorizedError('unknown or revoked API key');
    return `api:${row.name}`;
  }
}
