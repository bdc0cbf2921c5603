/**
 * Warm pools in the database: the pool rows (`pools`) and their members, which are ordinary
 * instances with `pool_id` set and `pool_claimed_at` null until a create claims one. A claim is
 * one `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`: two replicas racing for
 * the same pool each get a different member or none, never the same one.
 *
 * @example
 * const pools = new PoolStore(db);
 * await pools.put('default', 'oc', { provider: 'hetzner', serverType: 'cpx22', location: 'nbg1', workload: 'openclaw', ready: 2 });
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { instances, pools } from '../../db/schema.ts';
import type { InstanceRow } from '../store.ts';

export type PoolRow = typeof pools.$inferSelect;

/** What a pool keeps ready. */
export interface PoolSpec {
  provider: string;
  serverType: string | null;
  location: string | null;
  workload: string;
  ready: number;
}

/** A pool with its members counted: warm (agent connected, claimable) and starting. */
export interface PoolView extends PoolRow {
  warm: number;
  starting: number;
}

/** What a create asks for, to find a matching pool. */
export interface PoolMatch {
  project: string;
  provider: string;
  serverType: string | null;
  location: string | null;
  workload: string;
}

/** Member columns a claim sets (the create's name, settings and sealed secrets). */
export interface ClaimSet {
  name: string;
  workloadConfig: Record<string, unknown>;
  secretsSealed: string | null;
  onFailure: string;
  connectTimeoutSeconds: number;
}

const ACTIVE = ['pending', 'provisioning', 'running'];

export class PoolStore {
  constructor(private readonly db: Db) {}

  /** Create or change a pool (unpausing it: the operator has looked). */
  async put(project: string, name: string, spec: PoolSpec): Promise<PoolRow> {
    const [row] = await this.db
      .insert(pools)
      .values({ id: randomUUID(), project, name, ...spec })
      .onConflictDoUpdate({ target: [pools.project, pools.name], set: { ...spec, pausedAt: null, pauseReason: null, consecutiveFailures: 0, updatedAt: new Date() } })
      .returning();
    return row;
  }

  async get(project: string, name: string): Promise<PoolRow | undefined> {
    const [row] = await this.db.select().from(pools).where(and(eq(pools.project, project), eq(pools.name, name)));
    return row;
  }

  /** Every pool (of one project, or all), with its members counted. */
  async list(project?: string): Promise<PoolView[]> {
    const rows = await this.db.select().from(pools).where(project ? eq(pools.project, project) : undefined).orderBy(asc(pools.project), asc(pools.name));
    const out: PoolView[] = [];
    for (const p of rows) {
      const members = await this.members(p.id);
      out.push({ ...p, warm: members.filter(isWarm).length, starting: members.filter((m) => !isWarm(m) && ACTIVE.includes(m.status)).length });
    }
    return out;
  }

  async remove(project: string, name: string): Promise<PoolRow | undefined> {
    const [row] = await this.db.delete(pools).where(and(eq(pools.project, project), eq(pools.name, name))).returning();
    return row;
  }

  /** Unclaimed members of a pool (any status), newest first. */
  async members(poolId: string): Promise<InstanceRow[]> {
    return this.db.select().from(instances).where(and(eq(instances.poolId, poolId), isNull(instances.poolClaimedAt))).orderBy(desc(instances.createdAt));
  }

  /** Unclaimed members whose pool is gone (deleted while they booted). */
  async orphans(): Promise<InstanceRow[]> {
    return this.db
      .select()
      .from(instances)
      .where(and(isNull(instances.poolClaimedAt), inArray(instances.status, ACTIVE), sql`${instances.poolId} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${pools} WHERE ${pools.id} = ${instances.poolId})`));
  }

  async setFailures(id: string, n: number): Promise<void> {
    await this.db.update(pools).set({ consecutiveFailures: n, updatedAt: new Date() }).where(eq(pools.id, id));
  }

  /** Pause a pool, once: true when this call paused it. */
  async pause(id: string, reason: string): Promise<boolean> {
    const rows = await this.db.update(pools).set({ pausedAt: new Date(), pauseReason: reason, updatedAt: new Date() }).where(and(eq(pools.id, id), isNull(pools.pausedAt))).returning({ id: pools.id });
    return rows.length === 1;
  }

  /**
   * Claim one warm member of a matching, unpaused pool for a create, exactly once across
   * replicas (FOR UPDATE SKIP LOCKED); null when none is warm.
   */
  async claim(match: PoolMatch, set: ClaimSet): Promise<{ member: InstanceRow; pool: PoolRow } | null> {
    return this.db.transaction(async (tx) => {
      const res = await tx.execute(sql`
        SELECT i.id, p.id AS pool_id FROM ${instances} i JOIN ${pools} p ON p.id = i.pool_id
        WHERE p.project = ${match.project} AND p.provider = ${match.provider} AND p.workload = ${match.workload}
          AND p.server_type IS NOT DISTINCT FROM ${match.serverType} AND p.location IS NOT DISTINCT FROM ${match.location}
          AND p.paused_at IS NULL AND i.pool_claimed_at IS NULL AND i.status = 'provisioning' AND i.connection = 'connected'
        ORDER BY i.created_at LIMIT 1
        FOR UPDATE OF i SKIP LOCKED`);
      const hit = (res as unknown as { rows: { id: string; pool_id: string }[] }).rows[0];
      if (!hit) return null;
      const [member] = await tx.update(instances).set({ ...set, poolClaimedAt: new Date(), updatedAt: new Date() }).where(eq(instances.id, hit.id)).returning();
      const [pool] = await tx.select().from(pools).where(eq(pools.id, hit.pool_id));
      return { member, pool };
    });
  }
}

/**
 * A member a create may claim: provisioning, its agent connected, not yet claimed.
 *
 * @example
 * isWarm({ status: 'provisioning', connection: 'connected', poolClaimedAt: null }) // → true
 */
export function isWarm(m: Pick<InstanceRow, 'status' | 'connection' | 'poolClaimedAt'>): boolean {
  return m.status === 'provisioning' && m.connection === 'connected' && !m.poolClaimedAt;
}

/**
 * Whether an instance is an unclaimed pool member (its agent gets no workload yet).
 *
 * @example
 * isPoolMember({ poolId: 'b1…', poolClaimedAt: null }) // → true
 */
export function isPoolMember(m: Pick<InstanceRow, 'poolId' | 'poolClaimedAt'>): boolean {
  return m.poolId != null && m.poolClaimedAt == null;
}
