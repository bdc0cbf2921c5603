import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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

/**
 * Single sign-on sessions, server-side: the bearer/cookie token is stored hashed; a session ends
 * at `expires_at` (absolute), after `idle_seconds` without use, or when revoked.
 */
export const ssoSessions = pgTable('sso_sessions', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  tokenHash: text('token_hash').notNull(),
  /** The user's e-mail (the actor is `user:<email>`). */
  email: text('email').notNull(),
  subject: text('subject').notNull(),
  /** `{ "*": "admin" }` or project → role. */
  grants: jsonb('grants').$type<Record<string, string>>().notNull(),
  /** `browser` (cookie) or `cli` (bearer). */
  client: text('client').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastUsedAt: ts('last_used_at').notNull().defaultNow(),
  idleSeconds: integer('idle_seconds').notNull(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
}, (t) => [uniqueIndex('sso_sessions_token').on(t.tokenHash), index('sso_sessions_email').on(t.email)]);

/** A browser sign-in in flight: state (hashed), nonce and the sealed PKCE verifier, for ten minutes. */
export const ssoLogins = pgTable('sso_logins', {
  stateHash: text('state_hash').primaryKey(),
  nonce: text('nonce').notNull(),
  verifierSealed: text('verifier_sealed').notNull(),
  returnTo: text('return_to').notNull().default('/'),
  createdAt: ts('created_at').notNull().defaultNow(),
});
