import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Outbound webhook endpoints of a project: where events are POSTed (Standard Webhooks signed,
 * or Slack / plain JSON bodies). The signing secret is sealed (AES-256-GCM), shown once.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  project: text('project').notNull().default('default'),
  url: text('url').notNull(),
  events: text('events').array().notNull(),
  /** standard | slack | json */
  format: text('format').notNull().default('standard'),
  secretSealed: text('secret_sealed').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason'),
  /** Since when every attempt failed (null after a success); 24 h of it disables the endpoint. */
  failingSince: ts('failing_since'),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: text('created_by'),
}, (t) => [index('webhook_endpoints_project').on(t.project)]);

/**
 * One message to one endpoint. Rows are written by the `instance_events` trigger in the same
 * transaction as the event (migration 0011), so no event is lost or delivered before it commits.
 * `order_key` (the instance, else the endpoint) orders deliveries: one in flight per endpoint and
 * key, oldest `seq` first. The row id is the `webhook-id` (as `msg_<hex>`), the same on every retry.
 */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
  project: text('project').notNull().default('default'),
  eventId: bigint('event_id', { mode: 'number' }),
  instanceId: uuid('instance_id'),
  orderKey: text('order_key').notNull(),
  eventType: text('event_type').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  /** pending | delivering | delivered | failed */
  status: text('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
  leaseUntil: ts('lease_until'),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  lastLatencyMs: integer('last_latency_ms'),
  createdAt: ts('created_at').notNull().defaultNow(),
  deliveredAt: ts('delivered_at'),
}, (t) => [
  index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
  index('webhook_deliveries_order').on(t.endpointId, t.orderKey, t.seq),
  index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
]);

/** The delivery log: one row per HTTP attempt (status code, latency, error). */
export const webhookAttempts = pgTable('webhook_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  deliveryId: uuid('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
  at: ts('at').notNull().defaultNow(),
  statusCode: integer('status_code'),
  latencyMs: integer('latency_ms').notNull(),
  error: text('error'),
}, (t) => [index('webhook_attempts_delivery').on(t.deliveryId, t.id)]);

/**
 * Durable delayed checks: an instance whose agent connection was lost at `lost_at` (written by the
 * trigger; removed when it comes back). Past HANGAR_ALERT_UNREACHABLE_MINUTES a worker claims the
 * row and records `instance.unreachable`.
 */
export const webhookAlarms = pgTable('webhook_alarms', {
  instanceId: uuid('instance_id').primaryKey(),
  lostAt: ts('lost_at').notNull(),
});
