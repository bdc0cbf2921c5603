import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The audit log: one append-only row per mutating call, sensitive read or automatic action.
 * UPDATE, DELETE and TRUNCATE are refused by triggers (migration 0010), except the retention
 * purge (`hangar.audit_purge` set for its transaction). `data` never holds a secret value.
 */
export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull().defaultNow(),
  /** `api:<key name>`, `user:<email>`, `agent:<id>`, `system` (or `system:<part>`). */
  actor: text('actor').notNull(),
  /** `api` | `user` | `agent` | `builder` | `system` | `anonymous`. */
  actorKind: text('actor_kind').notNull(),
  project: text('project').notNull().default('default'),
  /** `POST /v1/instances/:id/exec` (the route pattern), or a name for automatic actions. */
  action: text('action').notNull(),
  objectType: text('object_type'),
  objectId: text('object_id'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  /** The HTTP status, or `ok` / `error`. */
  outcome: text('outcome').notNull(),
  reason: text('reason'),
  data: jsonb('data').$type<Record<string, unknown>>(),
}, (t) => [
  index('audit_log_at').on(t.at),
  index('audit_log_project').on(t.project, t.id),
  index('audit_log_actor').on(t.actor, t.id),
  index('audit_log_object').on(t.objectType, t.objectId, t.id),
]);
