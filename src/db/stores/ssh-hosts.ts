import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { FREE_HOST, newClaimId, type SshClaim, type SshHost } from '../../domain/ssh-hosts.ts';
import type { Db } from '../client.ts';
import { sshHosts } from '../schema.ts';

/**
 * The `ssh` provider's hosts in the database (the private key inside stays sealed), shared by
 * every replica: the server's `SshHostStore` (the contract is src/providers/ssh/hosts.ts; db/
 * imports only domain/, so the fit is checked where the two meet, src/server.ts). Claims are
 * compare-and-set `UPDATE … WHERE … RETURNING` on the `host` jsonb, so of two replicas claiming
 * one free host exactly one gets a row back; the claim id is set in that same statement (fresh
 * for a free host, kept for its owner).
 *
 * @example
 * new SshProvider({ hosts: new DbSshHostStore(db), secretKey, agentBundle })
 */
export class DbSshHostStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<SshHost[]> {
    return (await this.db.select().from(sshHosts).orderBy(asc(sshHosts.name))).map((r) => r.host as unknown as SshHost);
  }

  async get(id: string): Promise<SshHost | null> {
    // No stored id holds a NUL byte (PostgreSQL text cannot): looking one up finds nothing, it is no error.
    if (id.includes('\u0000')) return null;
    const [r] = await this.db.select().from(sshHosts).where(eq(sshHosts.id, id));
    return r ? (r.host as unknown as SshHost) : null;
  }

  async put(host: SshHost): Promise<void> {
    const row = { id: host.id, name: host.name, host: host as unknown as Record<string, unknown>, updatedAt: new Date() };
    await this.db.insert(sshHosts).values(row).onConflictDoUpdate({ target: sshHosts.id, set: { name: row.name, host: row.host, updatedAt: row.updatedAt } });
  }

  async remove(id: string): Promise<void> {
    await this.db.delete(sshHosts).where(eq(sshHosts.id, id));
  }

  async claim(id: string, owner: SshClaim): Promise<SshHost | null> {
    const labels = json(owner.labels);
    // Free, or already held by exactly these labels (jsonb equality ignores key order).
    const claimable = sql`(${sshHosts.host}->>'state' = 'free' OR (${sshHosts.host}->'labels' = ${labels} AND ${labels} <> '{}'::jsonb))`;
    // A free host gets a new claim id; its owner claiming again keeps the one it has (none on a claim from before claim ids).
    const claimId = sql`CASE WHEN ${sshHosts.host}->>'state' = 'free' THEN jsonb_build_object('claimId', ${owner.claimId ?? newClaimId()}::text) ELSE '{}'::jsonb END`;
    return this.mergeSql(id, sql`${json({ labels: owner.labels, serverName: owner.serverName, state: 'provisioning' })} || ${claimId}`, claimable);
  }

  async release(id: string, labels?: Record<string, string>, claimId?: string | null): Promise<boolean> {
    const conds: SQL[] = [];
    if (labels) conds.push(sql`${sshHosts.host}->'labels' = ${json(labels)}`);
    if (claimId !== undefined) conds.push(claimId === null ? sql`${sshHosts.host}->>'claimId' IS NULL` : sql`${sshHosts.host}->>'claimId' = ${claimId}`);
    return !!(await this.merge(id, FREE_HOST, conds.length ? and(...conds) : undefined));
  }

  async update(id: string, set: Partial<SshHost>): Promise<SshHost | null> {
    return this.merge(id, set);
  }

  /** `host = host || set` in one statement, when `cond` holds; the new host or null. */
  private async merge(id: string, set: Partial<SshHost>, cond?: SQL): Promise<SshHost | null> {
    return this.mergeSql(id, json(set), cond);
  }

  /** `host = host || <jsonb expression over the current row>` in one statement, when `cond` holds. */
  private async mergeSql(id: string, set: SQL, cond?: SQL): Promise<SshHost | null> {
    const [r] = await this.db
      .update(sshHosts)
      .set({ host: sql`${sshHosts.host} || ${set}`, updatedAt: new Date() })
      .where(cond ? and(eq(sshHosts.id, id), cond) : eq(sshHosts.id, id))
      .returning();
    return r ? (r.host as unknown as SshHost) : null;
  }
}

/** A value as a jsonb parameter. */
function json(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::jsonb`;
}
