import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, customType, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Binary data (node-postgres gives a Buffer, PGlite a Uint8Array: both become a Buffer). */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({ dataType: () => 'bytea', fromDriver: (v) => Buffer.from(v) });

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One row: this installation's identity (its id goes into every cloud label). */
export const installation = pgTable('installation', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
  /** The project the key acts in; null for an installation admin key. */
  project: text('project'),
  /** What the key holds in `project` (a Role), or `admin` (then `project` is null). */
  role: text('role').notNull().default('admin'),
  expiresAt: ts('expires_at'),
  createdBy: text('created_by'),
}, (t) => [uniqueIndex('api_keys_hash').on(t.hash)]);

/** An instance is intent: written before any cloud call. */
export const instances = pgTable('instances', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  name: text('name').notNull(),
  /** The project (tenant) the instance belongs to; every API read and write filters by it. */
  project: text('project').notNull().default('default'),
  serverName: text('server_name').notNull(),
  provider: text('provider').notNull(),
  location: text('location'),
  serverType: text('server_type'),
  /** The price of `serverType` at `location` as the cloud lists it (0 for local and ssh). */
  priceHourly: doublePrecision('price_hourly'),
  priceMonthly: doublePrecision('price_monthly'),
  priceCurrency: text('price_currency'),
  /** Capacity fallback: the (server type, location) choices still to try, in order, after the current one. */
  fallbackChoices: jsonb('fallback_choices').$type<{ serverType: string | null; location: string | null }[]>().notNull().default([]),
  image: text('image'),
  workload: text('workload').notNull(),
  /** Non-secret workload settings. */
  workloadConfig: jsonb('workload_config').$type<Record<string, unknown>>().notNull().default({}),
  /** Secret workload settings, sealed (AES-GCM) as one string. */
  secretsSealed: text('secrets_sealed'),
  labels: jsonb('labels').$type<Record<string, string>>().notNull(),
  tailscale: boolean('tailscale').notNull().default(false),
  tailscaleTags: jsonb('tailscale_tags').$type<string[]>().notNull().default([]),
  status: text('status').notNull().default('pending'),
  step: text('step'),
  connection: text('connection').notNull().default('connecting'),
  bootstrapPath: text('bootstrap_path'),
  serverId: text('server_id'),
  ipv4: text('ipv4'),
  ipv6: text('ipv6'),
  tailnetName: text('tailnet_name'),
  tailscaleDeviceId: text('tailscale_device_id'),
  bootstrapTokenHash: text('bootstrap_token_hash'),
  bootstrapTokenSealed: text('bootstrap_token_sealed'),
  bootstrapTokenExpiresAt: ts('bootstrap_token_expires_at'),
  bootstrapTokenUsedAt: ts('bootstrap_token_used_at'),
  agentId: uuid('agent_id'),
  /** Deprecated: hash of an old agent's enrollment nonce; no longer read or written (0007 cleared it). */
  enrollNonceHash: text('enroll_nonce_hash'),
  /**
   * SHA-256 of the secret the enrolled agent generated and keeps: only that agent (presenting the
   * secret) may enroll again with the spent token while it never connected. Replaced at each use.
   */
  enrollProofHash: text('enroll_proof_hash'),
  agentKeyHash: text('agent_key_hash'),
  agentVersion: text('agent_version'),
  lastHeartbeatAt: ts('last_heartbeat_at'),
  hubReplica: text('hub_replica'),
  workloadHealthy: boolean('workload_healthy'),
  connectTimeoutSeconds: integer('connect_timeout_seconds').notNull().default(600),
  onFailure: text('on_failure').notNull().default('destroy'),
  failureReason: text('failure_reason'),
  runningAt: ts('running_at'),
  /** Lifetime: destroyed at `expires_at` (created + ttl, moved by extend). Null: no TTL. */
  ttlSeconds: integer('ttl_seconds'),
  expiresAt: ts('expires_at'),
  /** Idle stop: hibernated once `last_active_at` is this many seconds old. Null: never. */
  idleStopSeconds: integer('idle_stop_seconds'),
  /** Last time the agent reported workload activity (or the instance (re)started). */
  lastActiveAt: ts('last_active_at'),
  /** The agent's latest activity report (CPU, connections, sessions), for "why idle". */
  activity: jsonb('activity').$type<Record<string, unknown>>(),
  /** The image a hibernated instance is restored from (its server is deleted meanwhile). */
  hibernateImageId: text('hibernate_image_id'),
  /** The current stop kept the server (powered off only). */
  keepServer: boolean('keep_server'),
  /** When provisioning last began (create or start): the connect timeout counts from it. */
  startedAt: ts('started_at'),
  /** A warm pool's member (migration 0014); claimed when a create took it. */
  poolId: uuid('pool_id'),
  poolClaimedAt: ts('pool_claimed_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('instances_status').on(t.status),
  index('instances_project').on(t.project, t.createdAt, t.id),
  index('instances_created').on(t.createdAt, t.id),
  uniqueIndex('instances_agent').on(t.agentId),
  uniqueIndex('instances_bootstrap_token').on(t.bootstrapTokenHash),
]);

/**
 * The one append-only event log: every transition and every notable fact about an instance or a
 * snapshot build. Each row is about exactly one of them (`instance_id` or `snapshot_build_id`);
 * ids are monotonic across both, so an instance's events keep increasing ids (SSE resumes by id).
 * For a snapshot build, `to_status` is the build's status after the event (a note keeps it).
 */
export const instanceEvents = pgTable('instance_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  instanceId: uuid('instance_id').references(() => instances.id),
  snapshotBuildId: uuid('snapshot_build_id').references(() => snapshotBuilds.id),
  at: ts('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  kind: text('kind').notNull(),
  fromStatus: text('from_status'),
  toStatus: text('to_status'),
  step: text('step'),
  reason: text('reason'),
  data: jsonb('data').$type<Record<string, unknown>>(),
}, (t) => [
  index('instance_events_instance').on(t.instanceId, t.id),
  index('instance_events_snapshot_build').on(t.snapshotBuildId, t.id),
  check('instance_events_one_subject', sql`num_nonnulls(${t.instanceId}, ${t.snapshotBuildId}) = 1`),
]);

/** Stored responses for `Idempotency-Key` on creating POSTs. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  key: text('key').primaryKey(),
  project: text('project').notNull().default('default'),
  bodyHash: text('body_hash').notNull(),
  status: integer('status'),
  response: jsonb('response'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Time-limited leadership (the reconciler): one holder per name until `expiresAt`. */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

/**
 * Servers labelled for this installation that no live instance explains, first seen by the
 * reconciler at `firstSeenAt`; deleted on a later pass once the grace period has passed.
 */
export const orphans = pgTable('orphans', {
  provider: text('provider').notNull(),
  serverId: text('server_id').notNull(),
  serverName: text('server_name'),
  instanceId: text('instance_id'),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('orphans_server').on(t.provider, t.serverId)]);

/** Servers users bring (the `ssh` provider): one row per registered host, key sealed. */
export const sshHosts = pgTable('ssh_hosts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  project: text('project').notNull().default('default'),
  host: jsonb('host').$type<Record<string, unknown>>().notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('ssh_hosts_name').on(t.name)]);

/**
 * Snapshot builds: a builder server runs the full install, reports ready, is powered off,
 * imaged (labelled with the bootstrap version) and deleted. Its progress is in the event log
 * (`instance_events.snapshot_build_id`); status changes follow src/domain/snapshot-build.ts.
 */
export const snapshotBuilds = pgTable('snapshot_builds', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  provider: text('provider').notNull(),
  project: text('project').notNull().default('default'),
  location: text('location'),
  /** pending | building | imaging | done | failed */
  status: text('status').notNull().default('pending'),
  bootstrapVersion: text('bootstrap_version').notNull(),
  serverId: text('server_id'),
  imageId: text('image_id'),
  buildTokenHash: text('build_token_hash').notNull(),
  buildTokenSealed: text('build_token_sealed'),
  /** When the builder reported (ok or not), and what it said. */
  readyAt: ts('ready_at'),
  readyOk: boolean('ready_ok'),
  readyMessage: text('ready_message'),
  /** The builder must report by then, or the build fails. */
  deadlineAt: ts('deadline_at'),
  error: text('error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [index('snapshot_builds_status').on(t.status), index('snapshot_builds_created').on(t.createdAt)]);

/** Cloud and tailnet credentials given through the API (sealed); they override the environment. */
export const providerCredentials = pgTable('provider_credentials', {
  provider: text('provider').primaryKey(),
  sealed: text('sealed').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Agent releases: a signed bundle, published by an operator, reaching agents only once approved
 * (to a canary share first if wished). The most recently approved, unrevoked release is the target.
 */
export const agentReleases = pgTable('agent_releases', {
  version: text('version').primaryKey(),
  sha256: text('sha256').notNull(),
  signature: text('signature').notNull(),
  size: integer('size').notNull(),
  bundle: bytea('bundle').notNull(),
  notes: text('notes'),
  publishedAt: ts('published_at').notNull().defaultNow(),
  publishedBy: text('published_by'),
  approvedAt: ts('approved_at'),
  approvedBy: text('approved_by'),
  /** Who approved it although a higher version was approved (a deliberate downgrade); null otherwise. */
  downgradeAllowedBy: text('downgrade_allowed_by'),
  /** Share of agents (1–100) that get it once approved. */
  canaryPercent: integer('canary_percent').notNull().default(100),
  revokedAt: ts('revoked_at'),
});
export * from './schema-tenancy.ts';
export * from './schema-audit.ts';
export * from './schema-pools.ts';
export * from './schema-budgets.ts';
export * from './schema-webhooks.ts';
