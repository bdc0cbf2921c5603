import { and, desc, eq, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { UnauthorizedError } from '../../domain/errors.ts';
import type { Grant } from '../../domain/roles.ts';
import { hashToken, newToken } from '../../domain/tokens.ts';
import type { Db } from '../client.ts';
import { apiKeys, installationNotes } from '../schema.ts';

/** An API key as anyone may see it: never the key, never its hash. */
export interface KeyInfo {
  id: string;
  name: string;
  /** The first characters of the key (`hgr_ab12`), to tell keys apart. */
  prefix: string;
  /** The project it acts in; null for an installation admin key. */
  project: string | null;
  role: Grant;
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = {
  id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, project: apiKeys.project, role: apiKeys.role,
  createdAt: apiKeys.createdAt, createdBy: apiKeys.createdBy, lastUsedAt: apiKeys.lastUsedAt, expiresAt: apiKeys.expiresAt, revokedAt: apiKeys.revokedAt,
};

/** `last_used_at` is written at most this often per key (one small UPDATE, not one per request). */
const TOUCH_EVERY = sql`interval '1 minute'`;

/** The token of an `Authorization: Bearer hgr_…` header, or null. */
const KEY_HEADER = /^Bearer\s+(hgr_[A-Za-z0-9_-]{20,100})$/;

/**
 * API keys, stored hashed (SHA-256 of a 256-bit random token). Every request reads its key's row
 * (one indexed lookup, no cache), so a revoked or expired key stops working at once on every replica.
 *
 * @example
 * const keys = new KeyStore(db);
 * const { key } = await keys.create({ name: 'ci', project: 'team-a', role: 'operator', expiresAt: null, createdBy: 'api:admin' });
 * await keys.authenticate(`Bearer ${key}`); // → { name: 'ci', project: 'team-a', role: 'operator', … }
 */
export class KeyStore {
  constructor(private readonly db: Db) {}

  /** Mint a key: the plaintext is returned here once and stored nowhere. */
  async create(o: { name: string; project: string | null; role: Grant; expiresAt: Date | null; createdBy: string }): Promise<{ key: string; info: KeyInfo }> {
    if ((o.role === 'admin') !== (o.project === null)) throw new Error('an admin key has no project; a project key has a project role');
    const key = newToken('hgr');
    const [info] = await this.db
      .insert(apiKeys)
      .values({ name: o.name, prefix: key.slice(0, 8), hash: hashToken(key), project: o.project, role: o.role, expiresAt: o.expiresAt, createdBy: o.createdBy })
      .returning(COLUMNS);
    return { key, info: info as KeyInfo };
  }

  /** Keys that are not revoked: of one project, or (null) the installation admin keys, or (undefined) all. */
  async list(project?: string | null): Promise<KeyInfo[]> {
    const scope: SQL | undefined = project === undefined ? undefined : project === null ? isNull(apiKeys.project) : eq(apiKeys.project, project);
    return (await this.db.select(COLUMNS).from(apiKeys).where(and(isNull(apiKeys.revokedAt), scope)).orderBy(desc(apiKeys.createdAt))) as KeyInfo[];
  }

  /** One key (revoked or not), or null. */
  async get(id: string): Promise<KeyInfo | null> {
    const [r] = await this.db.select(COLUMNS).from(apiKeys).where(eq(apiKeys.id, id));
    return (r as KeyInfo | undefined) ?? null;
  }

  /** Revoke a key; false when it does not exist or was revoked already. */
  async revoke(id: string): Promise<boolean> {
    const rows = await this.db.update(apiKeys).set({ revokedAt: sql`now()` }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id });
    return rows.length > 0;
  }

  /**
   * The key an `Authorization` header presents; throws UnauthorizedError saying what is wrong
   * (missing, malformed, unknown or revoked, expired). Notes the use at most once a minute.
   */
  async authenticate(header: string | undefined): Promise<KeyInfo> {
    const m = KEY_HEADER.exec(header ?? '');
    if (!m) throw new UnauthorizedError(header ? 'malformed API key' : 'send an API key as "Authorization: Bearer hgr_…" (shown once at first start, or set HANGAR_API_KEY for the CLI)');
    const [row] = await this.db.select(COLUMNS).from(apiKeys).where(and(eq(apiKeys.hash, hashToken(m[1])), isNull(apiKeys.revokedAt)));
    if (!row) throw new UnauthorizedError('unknown or revoked API key');
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      throw new UnauthorizedError(`API key "${row.name}" expired at ${row.expiresAt.toISOString()}; ask a project owner for a new one (hangar keys create)`);
    }
    await this.db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - ${TOUCH_EVERY}`))));
    return row as KeyInfo;
  }
}

/**
 * Mint a new installation admin key directly in the database (recovery: Hangar stopped, or the
 * first start). With `revokeOthers`, every other admin key is revoked in the same transaction.
 *
 * @example
 * const { key, revoked } = await mintAdminKey(db, { name: 'recovered', createdBy: 'reset-key@host', revokeOthers: false });
 */
export async function mintAdminKey(db: Db, o: { name: string; createdBy: string; revokeOthers: boolean }): Promise<{ key: string; id: string; revoked: number }> {
  return db.transaction(async (tx) => {
    const key = newToken('hgr');
    const [row] = await tx.insert(apiKeys).values({ name: o.name, prefix: key.slice(0, 8), hash: hashToken(key), project: null, role: 'admin', createdBy: o.createdBy }).returning({ id: apiKeys.id });
    const revoked = o.revokeOthers
      ? await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(and(isNull(apiKeys.project), isNull(apiKeys.revokedAt), ne(apiKeys.id, row.id))).returning({ id: apiKeys.id })
      : [];
    return { key, id: row.id, revoked: revoked.length };
  });
}

/**
 * Record an offline admin key reset as an installation-level note (never the key): which key was
 * minted, how many were revoked, by whom and from where. The audit log can take these over.
 *
 * @example
 * await recordKeyReset(db, { keyId, revoked: 0, by: 'root@host', via: 'data-dir /srv/hangar' });
 */
export async function recordKeyReset(db: Db, o: { keyId: string; revoked: number; by: string; via: string }): Promise<void> {
  await db.insert(installationNotes).values({ kind: 'admin-key-reset', actor: o.by, data: { keyId: o.keyId, revokedOthers: o.revoked, via: o.via } });
}
