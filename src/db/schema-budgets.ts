import { sql } from 'drizzle-orm';
import { doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Server types with prices per provider, as the provider's API last reported them: one row per
 * provider, shared by every replica so they all price a create the same way (the TTL is checked
 * against `fetched_at`).
 */
export const priceCache = pgTable('price_cache', {
  provider: text('provider').primaryKey(),
  serverTypes: jsonb('server_types').$type<Record<string, unknown>[]>().notNull(),
  fetchedAt: ts('fetched_at').notNull().defaultNow(),
});

/** A monthly cap on projected spend: `scope` is `*` for the installation, else a project name. */
export const budgets = pgTable('budgets', {
  scope: text('scope').primaryKey(),
  monthly: doublePrecision('monthly').notNull(),
  currency: text('currency').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by'),
});

/**
 * What each instance costs, written in the same transaction as the instance (under the budget
 * lock), so concurrent creates on any replica see each other's reservations. Holds the price of
 * the dearest choice until the server exists, then the price of what the cloud reports.
 */
export const instanceCosts = pgTable('instance_costs', {
  instanceId: uuid('instance_id').primaryKey(),
  project: text('project').notNull().default('default'),
  provider: text('provider').notNull(),
  hourly: doublePrecision('hourly').notNull(),
  monthly: doublePrecision('monthly').notNull(),
  currency: text('currency').notNull(),
  startedAt: ts('started_at').notNull().defaultNow(),
});

/** Budget warnings already raised: one per scope, month and threshold. */
export const budgetWarnings = pgTable('budget_warnings', {
  scope: text('scope').notNull(),
  month: text('month').notNull(),
  threshold: integer('threshold').notNull(),
  at: ts('at').notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.scope, t.month, t.threshold] })]);
