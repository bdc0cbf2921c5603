/**
 * Tables of the shared cloud-API budget and of warm pools (migration 0014_pools).
 *
 * @example
 * await db.select().from(apiBudgets); // one row per vendor account
 */
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One cloud-API token bucket per vendor account (key: vendor and a hash of the token, never
 * the token), shared by every replica: its state (src/domain/api-budget.ts) as JSON, locked
 * and rewritten per call.
 */
export const apiBudgets = pgTable('api_budgets', {
  key: text('key').primaryKey(),
  vendor: text('vendor').notNull(),
  state: jsonb('state').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** A warm pool: keep `ready` servers of this shape booted, agent connected, workload not configured. */
export const pools = pgTable(
  'pools',
  {
    id: uuid('id').primaryKey(),
    project: text('project').notNull().default('default'),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    serverType: text('server_type'),
    location: text('location'),
    workload: text('workload').notNull(),
    ready: integer('ready').notNull(),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    pausedAt: ts('paused_at'),
    pauseReason: text('pause_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('pools_project_name').on(t.project, t.name)],
);

