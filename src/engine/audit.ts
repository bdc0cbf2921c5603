import { and, asc, desc, eq, gt, gte, like, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import { actorKind, auditData } from '../domain/audit.ts';
import { DEFAULT_PROJECT } from '../domain/roles.ts';

/** One audit row as written: who, what, which object, from where, the outcome. */
export interface AuditEntry {
  actor: string;
  project?: string;
  /** `POST /v1/instances/:id/exec`, or a name for automatic actions (`orphan.delete`, `timeout.fail`). */
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** HTTP status, or `ok` / `error`. */
  outcome: string | number;
  reason?: string | null;
  /** Redacted before it is stored (see `auditData`): never pass secret values on purpose anyway. */
  data?: Record<string, unknown> | null;
}

export type AuditRow = typeof auditLog.$inferSelect;

/** What the audit log can be searched by; `before` pages newest-first, `after` oldest-first (follow). */
export interface AuditFilter {
  actor?: string;
  /** Exact action, or a prefix ending in `*` (`POST /v1/instances*`). */
  action?: string;
  /** `type` or `type:id` (`instance:…`), or a bare id. */
  object?: string;
  /** One project; undefined for all (installation admins). */
  project?: string;
  since?: Date;
  until?: Date;
  before?: number;
  after?: number;
  limit?: number;
}

/**
 * Append one audit row (the engine's automatic actions and the API's onResponse hook both write
 * through here). Its data is redacted first; the table refuses UPDATE and DELETE.
 *
 * @example
 * await recordAudit(db, { actor: 'system:reconciler', action: 'orphan.delete', objectType: 'server', objectId: 'hetzner/42', outcome: 'ok', reason: 'no instance claims it' });
 */
export async function recordAudit(db: Db, e: AuditEntry): Promise<AuditRow> {
  const [row] = await db
    .insert(auditLog)
    .values({
      actor: e.actor.slice(0, 300),
      actorKind: actorKind(e.actor),
      project: e.project ?? DEFAULT_PROJECT,
      action: e.action.slice(0, 300),
      objectType: e.objectType ?? null,
      objectId: e.objectId ?? null,
      ip: e.ip ?? null,
      userAgent: e.userAgent?.slice(0, 300) ?? null,
      outcome: String(e.outcome),
      reason: e.reason?.slice(0, 500) ?? null,
      data: e.data ? (auditData(e.data) as Record<string, unknown>) : null,
    })
    .returning();
  return row;
}

/**
 * A page of audit rows: newest first (`before` = the previous page's last id), or oldest first
 * after `after` (for following).
 *
 * @example
 * const rows = await listAudit(db, { project: 'default', action: 'POST /v1/instances*', limit: 50 });
 */
export async function listAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  const where: (SQL | undefined)[] = [];
  if (f.project !== undefined) where.push(eq(auditLog.project, f.project));
  if (f.actor) where.push(eq(auditLog.actor, f.actor));
  if (f.action) where.push(f.action.endsWith('*') ? like(auditLog.action, `${f.action.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`) : eq(auditLog.action, f.action));
  if (f.object) {
    const i = f.object.indexOf(':');
    if (i > 0) where.push(and(eq(auditLog.objectType, f.object.slice(0, i)), eq(auditLog.objectId, f.object.slice(i + 1))));
    else where.push(or(eq(auditLog.objectType, f.object), eq(auditLog.objectId, f.object)));
  }
  if (f.since) where.push(gte(auditLog.at, f.since));
  if (f.until) where.push(lte(auditLog.at, f.until));
  if (f.before !== undefined) where.push(lt(auditLog.id, f.before));
  if (f.after !== undefined) where.push(gt(auditLog.id, f.after));
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(f.after !== undefined ? asc(auditLog.id) : desc(auditLog.id))
    .limit(Math.min(f.limit ?? 100, 1000));
}

/**
 * The retention purge: delete rows older than `days` (at least 1), the only delete the table's
 * trigger lets through (it sets `hangar.audit_purge` for its own transaction). Returns how many went.
 *
 * @example
 * await purgeAudit(db, 365); // → 0
 */
export async function purgeAudit(db: Db, days: number): Promise<number> {
  const keep = Math.max(1, Math.floor(days));
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('hangar.audit_purge', 'on', true)`);
    const gone = await tx.delete(auditLog).where(lt(auditLog.at, sql`now() - make_interval(days => ${keep})`)).returning({ id: auditLog.id });
    return gone.length;
  });
}
