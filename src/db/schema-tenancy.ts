import { bigserial, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Projects (tenants): every instance, SSH host, snapshot build and scoped API key belongs to one.
 * `default` exists from the first start (the migration inserts it). A removed project keeps its
 * row (`deleted_at`), so its name is never reused and old rows keep pointing at it.
 */
export const projects = pgTable('projects', {
  name: text('name').primaryKey(),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: text('created_by'),
  deletedAt: ts('deleted_at'),
});

/**
 * Installation-level notes: things done outside any project or request (an offline admin key
 * reset), kept append-only until the audit log takes them over.
 */
export const installationNotes = pgTable('installation_notes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull().defaultNow(),
  kind: text('kind').notNull(),
  actor: text('actor').notNull(),
  data: jsonb('data').$type<Record<string, unknown>>(),
});
