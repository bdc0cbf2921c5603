import { desc, eq, getTableColumns, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { agentReleases, instances } from '../db/schema.ts';
import { ConflictError, HangarError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { newerApproved, RELEASE_VERSION, sha256Hex, targetRelease, verifyRelease } from '../domain/releases.ts';

/** A release as the API shows it (never the bundle itself). */
export interface ReleaseInfo {
  version: string;
  sha256: string;
  signature: string;
  size: number;
  notes: string | null;
  publishedAt: string;
  publishedBy: string | null;
  approvedAt: string | null;
  approvedBy: string | null;
  /** Who approved it with `allowDowngrade` over a higher approved version; null when it was no downgrade. */
  downgradeAllowedBy: string | null;
  canaryPercent: number;
  revokedAt: string | null;
  status: 'published' | 'canary' | 'approved' | 'revoked';
  /** Live instances whose agent reports this version. */
  agents: number;
}

/** What an agent is offered: enough to download and verify the bundle. */
export interface ReleaseOffer {
  version: string;
  sha256: string;
  signature: string;
  size: number;
  url: string;
}

type Row = typeof agentReleases.$inferSelect;

/**
 * Agent releases in the database, shared by every replica: publish (signature checked against
 * the trusted keys), approve (optionally to a canary share), revoke, and the offer for one agent.
 *
 * @example
 * const releases = new Releases(db, [publicKey]);
 * await releases.publish({ version: '2.0.0', bundle, signature }, 'admin');
 * await releases.approve('2.0.0', { canaryPercent: 10 }, 'admin');
 */
export class Releases {
  constructor(
    private readonly db: Db,
    /** Trusted ed25519 public keys (base64 SPKI DER): HANGAR_RELEASE_KEYS. */
    readonly keys: readonly string[],
  ) {}

  async publish(input: { version: string; bundle: Buffer; signature: string; notes?: string }, actor: string): Promise<ReleaseInfo> {
    if (!RELEASE_VERSION.test(input.version)) throw new ValidationError('version must look like 1.2.3', [{ field: 'version', message: 'must be MAJOR.MINOR.PATCH with an optional -tag' }]);
    if (!input.bundle.length) throw new ValidationError('bundle is empty', [{ field: 'bundle', message: 'must be the base64 agent bundle' }]);
    if (!this.keys.length) throw new ConflictError('no trusted release key is configured: set HANGAR_RELEASE_KEYS to the public key printed by `hangar agent release keygen`');
    const sha256 = sha256Hex(input.bundle);
    const problem = verifyRelease({ version: input.version, bundle: input.bundle, sha256, signature: input.signature }, this.keys);
    if (problem) throw new ValidationError(`release ${input.version} refused: ${problem}`, [{ field: 'signature', message: problem }]);
    const [existing] = await this.db.select({ sha256: agentReleases.sha256 }).from(agentReleases).where(eq(agentReleases.version, input.version));
    if (existing && existing.sha256 !== sha256) throw new ConflictError(`release ${input.version} already exists with different contents; publish a new version`);
    if (!existing) {
      await this.db
        .insert(agentReleases)
        .values({ version: input.version, sha256, signature: input.signature, size: input.bundle.length, bundle: input.bundle, notes: input.notes ?? null, publishedBy: actor })
        .onConflictDoNothing();
    }
    return this.get(input.version);
  }

  async list(): Promise<ReleaseInfo[]> {
    const rows = await this.db.select(columns).from(agentReleases).orderBy(desc(agentReleases.publishedAt));
    const counts = await this.agentCounts();
    return rows.map((r) => info(r, counts.get(r.version) ?? 0));
  }

  async get(version: string): Promise<ReleaseInfo> {
    // A version of another shape names no release (and never reaches a query: a NUL byte would fail it).
    if (!RELEASE_VERSION.test(version)) throw new NotFoundError('agent release', JSON.stringify(version.slice(0, 64)));
    const [r] = await this.db.select(columns).from(agentReleases).where(eq(agentReleases.version, version));
    if (!r) throw new NotFoundError('agent release', version);
    return info(r, (await this.agentCounts()).get(version) ?? 0);
  }

  /**
   * Approve a release for a share of agents (default all). Approving again widens or narrows the
   * share. Anti-rollback: a version lower than the highest approved, unrevoked one is a 409 naming
   * `version` unless `allowDowngrade` (then the release records who allowed it); revoking the
   * newer release is the rollback path that needs no override.
   */
  async approve(version: string, opts: { canaryPercent?: number; allowDowngrade?: boolean }, actor: string): Promise<ReleaseInfo> {
    const pct = opts.canaryPercent ?? 100;
    if (!Number.isInteger(pct) || pct < 1 || pct > 100) throw new ValidationError('canaryPercent must be 1–100', [{ field: 'canaryPercent', message: 'must be an integer from 1 to 100' }]);
    if (opts.allowDowngrade !== undefined && typeof opts.allowDowngrade !== 'boolean') throw new ValidationError('allowDowngrade must be true or false', [{ field: 'allowDowngrade', message: 'must be a boolean' }]);
    const cur = await this.get(version);
    if (cur.revokedAt) throw new ConflictError(`release ${version} was revoked; publish a new version`);
    const approved = await this.db.select({ version: agentReleases.version, approvedAt: agentReleases.approvedAt, revokedAt: agentReleases.revokedAt }).from(agentReleases).where(isNotNull(agentReleases.approvedAt));
    const newer = newerApproved(version, approved);
    if (newer && opts.allowDowngrade !== true) {
      const message = `${version} is lower than ${newer}, the highest approved release: approving it would roll agents back. Revoke ${newer} to go back to the previous approved release, or approve with allowDowngrade: true (CLI: --allow-downgrade)`;
      throw new HangarError('conflict', `release ${message}`, 409, [{ field: 'version', message }]);
    }
    await this.db.update(agentReleases).set({ approvedAt: new Date(), approvedBy: actor, downgradeAllowedBy: newer ? actor : null, canaryPercent: pct }).where(eq(agentReleases.version, version));
    return this.get(version);
  }

  /** Withdraw a release: agents move to the previous approved one on their next check. */
  async revoke(version: string): Promise<ReleaseInfo> {
    await this.get(version);
    await this.db.update(agentReleases).set({ revokedAt: new Date() }).where(eq(agentReleases.version, version));
    return this.get(version);
  }

  /** The release this agent should run, if it is not the one it runs and it has not refused it. */
  async offer(instanceId: string, current: string, refused: readonly string[], baseUrl: string): Promise<ReleaseOffer | null> {
    const rows = await this.db.select(columns).from(agentReleases).where(isNotNull(agentReleases.approvedAt));
    const t = targetRelease(rows, instanceId, refused);
    if (!t || t.version === current) return null;
    return { version: t.version, sha256: t.sha256, signature: t.signature, size: t.size, url: `${baseUrl}/v1/agents/releases/${encodeURIComponent(t.version)}/bundle` };
  }

  /** The bundle of an approved, unrevoked release (what agents may download). */
  async bundle(version: string): Promise<Buffer> {
    if (!RELEASE_VERSION.test(version)) throw new NotFoundError('approved agent release', JSON.stringify(version.slice(0, 64)));
    const [r] = await this.db.select({ bundle: agentReleases.bundle, approvedAt: agentReleases.approvedAt, revokedAt: agentReleases.revokedAt }).from(agentReleases).where(eq(agentReleases.version, version));
    if (!r || !r.approvedAt || r.revokedAt) throw new NotFoundError('approved agent release', version);
    return r.bundle;
  }

  private async agentCounts(): Promise<Map<string, number>> {
    const rows = await this.db
      .select({ version: instances.agentVersion, n: sql<number>`count(*)::int` })
      .from(instances)
      .where(sql`${instances.status} not in ('stopped', 'failed') and ${instances.agentVersion} is not null`)
      .groupBy(instances.agentVersion);
    return new Map(rows.map((r) => [r.version!, Number(r.n)]));
  }
}

/** Every column but the bundle (lists and offers never load megabytes). */
const { bundle: _bundle, ...columns } = getTableColumns(agentReleases);

function info(r: Omit<Row, 'bundle'>, agents: number): ReleaseInfo {
  const status = r.revokedAt ? 'revoked' : !r.approvedAt ? 'published' : r.canaryPercent < 100 ? 'canary' : 'approved';
  return {
    version: r.version,
    sha256: r.sha256,
    signature: r.signature,
    size: r.size,
    notes: r.notes,
    publishedAt: r.publishedAt.toISOString(),
    publishedBy: r.publishedBy,
    approvedAt: r.approvedAt?.toISOString() ?? null,
    approvedBy: r.approvedBy,
    downgradeAllowedBy: r.downgradeAllowedBy,
    canaryPercent: r.canaryPercent,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    status,
    agents,
  };
}
