import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema.ts';
import { isUuid } from '../../domain/ids.ts';
import { open, seal } from '../../domain/tokens.ts';
import type { WebhookFormat, WebhookPayload } from '../../domain/webhooks.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

/** A delivery claimed for one attempt, with what sending it needs (the secret opened). */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  url: string;
  format: WebhookFormat;
  secret: string;
  payload: WebhookPayload;
  attempts: number;
  createdAt: Date;
}

/** What one attempt gave: an HTTP status (2xx is success) or an error, and how long it took. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

/** Rows of a raw query, on PGlite and node-postgres alike. */
const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/**
 * The webhook tables: endpoints (secret sealed), the delivery queue (filled by the event-log
 * trigger) and the attempt log. Every read and write of an endpoint names its project.
 *
 * @example
 * const s = new WebhookStore(db, secretKey);
 * const ep = await s.createEndpoint({ project: 'default', url, events: ['*'], format: 'standard', secret, createdBy: 'api:admin' });
 * const claimed = await s.claim({ now: new Date(), limit: 10, leaseMs: 30_000 });
 */
export class WebhookStore {
  constructor(
    readonly db: Db,
    private readonly secretKey: Buffer,
  ) {}

  async createEndpoint(v: { project: string; url: string; events: string[]; format: WebhookFormat; secret: string; createdBy: string | null }): Promise<EndpointRow> {
    const [row] = await this.db
      .insert(webhookEndpoints)
      .values({ project: v.project, url: v.url, events: v.events, format: v.format, secretSealed: seal(v.secret, this.secretKey), createdBy: v.createdBy })
      .returning();
    return row;
  }

  async listEndpoints(project: string): Promise<EndpointRow[]> {
    return this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.project, project)).orderBy(desc(webhookEndpoints.createdAt));
  }

  /** The endpoint, only if it is `project`'s (another project's is as absent as a missing one). */
  async endpoint(project: string, id: string): Promise<EndpointRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.project, project)));
    return row;
  }

  async removeEndpoint(project: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.project, project))).returning({ id: webhookEndpoints.id })).length === 1;
  }

  /** Queue a message that is no event-log row (a test ping, an endpoint disabled) to endpoint ids. */
  async enqueue(endpointIds: string[], project: string, payload: WebhookPayload): Promise<DeliveryRow[]> {
    if (!endpointIds.length) return [];
    return this.db
      .insert(webhookDeliveries)
      .values(endpointIds.map((endpointId) => ({ endpointId, project, orderKey: `endpoint:${endpointId}`, eventType: payload.type, payload: payload as unknown as Record<string, unknown> })))
      .returning();
  }

  /** An endpoint's deliveries, newest first, each with its attempts (newest first). */
  async deliveries(endpointId: string, limit = 50): Promise<(DeliveryRow & { attemptLog: AttemptRow[] })[]> {
    const rows = await this.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).orderBy(desc(webhookDeliveries.seq)).limit(limit);
    if (!rows.length) return [];
    const attempts = await this.db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, rows.map((r) => r.id))).orderBy(desc(webhookAttempts.id));
    return rows.map((r) => ({ ...r, attemptLog: attempts.filter((a) => a.deliveryId === r.id).slice(0, 20) }));
  }

  /** Send a delivery again, with the same `webhook-id`: back to pending, due now. */
  async redeliver(endpointId: string, deliveryId: string, now: Date): Promise<DeliveryRow | undefined> {
    if (!isUuid(deliveryId)) return undefined;
    const [row] = await this.db
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: now, leaseUntil: null })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId), sql`${webhookDeliveries.status} <> 'delivering'`))
      .returning();
    return row ?? (await this.db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId))))[0];
  }

  /**
   * Claim up to `limit` due deliveries for one attempt each (any replica; `FOR UPDATE SKIP
   * LOCKED`). Only the oldest unfinished delivery per endpoint and order key (instance) is
   * eligible, and none while another of that key is in flight: in order, one at a time. A
   * claim whose lease ran out (its replica died mid-attempt) is claimable again.
   */
  async claim(o: { now: Date; limit: number; leaseMs: number }): Promise<ClaimedDelivery[]> {
    const now = o.now.toISOString();
    const lease = new Date(o.now.getTime() + o.leaseMs).toISOString();
    const res = await this.db.execute(sql`
      WITH c AS (
        SELECT d.id FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE ((d.status = 'pending' AND d.next_attempt_at <= ${now}::timestamptz) OR (d.status = 'delivering' AND d.lease_until < ${now}::timestamptz))
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
            WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key AND p.id <> d.id
              AND ((p.status IN ('pending', 'delivering') AND p.seq < d.seq) OR (p.status = 'delivering' AND p.lease_until >= ${now}::timestamptz)))
        ORDER BY d.seq
        LIMIT ${o.limit}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE webhook_deliveries w SET status = 'delivering', lease_until = ${lease}::timestamptz, attempts = w.attempts + 1
      FROM c, webhook_endpoints e
      WHERE w.id = c.id AND e.id = w.endpoint_id
      RETURNING w.id, w.endpoint_id, w.payload, w.attempts, w.created_at, e.url, e.format, e.secret_sealed`);
    return rowsOf<{ id: string; endpoint_id: string; payload: WebhookPayload | string; attempts: number; created_at: string | Date; url: string; format: WebhookFormat; secret_sealed: string }>(res).map((r) => ({
      id: r.id,
      endpointId: r.endpoint_id,
      url: r.url,
      format: r.format,
      secret: open(r.secret_sealed, this.secretKey),
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as WebhookPayload) : r.payload,
      attempts: r.attempts,
      createdAt: new Date(r.created_at),
    }));
  }

  /**
   * Record an attempt and its consequence in one transaction: delivered, retried at `retryAt`,
   * or failed for good (`retryAt` null). The endpoint's `failing_since` starts at its first
   * failure and clears on a success.
   */
  async complete(d: ClaimedDelivery, out: AttemptOutcome, now: Date, retryAt: Date | null): Promise<void> {
    const ok = out.statusCode !== null && out.statusCode >= 200 && out.statusCode < 300;
    const at = now.toISOString();
    const status = ok ? 'delivered' : retryAt ? 'pending' : 'failed';
    const next = (ok || !retryAt ? now : retryAt).toISOString();
    // One statement (atomic, one round trip): the attempt, the delivery, the endpoint's failing_since.
    await this.db.execute(sql`
      WITH a AS (
        INSERT INTO webhook_attempts (delivery_id, at, status_code, latency_ms, error) VALUES (${d.id}, ${at}::timestamptz, ${out.statusCode}, ${out.latencyMs}, ${out.error})
      ), u AS (
        UPDATE webhook_deliveries SET status = ${status}, next_attempt_at = ${next}::timestamptz, lease_until = NULL, last_status = ${out.statusCode},
          last_error = ${out.error}, last_latency_ms = ${out.latencyMs}, delivered_at = ${ok ? at : null}::timestamptz
        WHERE id = ${d.id} AND status = 'delivering'
      )
      UPDATE webhook_endpoints SET failing_since = ${ok ? sql`NULL` : sql`COALESCE(failing_since, ${at}::timestamptz)`}
      WHERE id = ${d.endpointId} AND ${ok ? sql`failing_since IS NOT NULL` : sql`failing_since IS NULL`}`);
  }

  /** Disable endpoints failing since before `cutoff`; returns them (each disabled once). */
  async disableFailing(cutoff: Date, reason: string): Promise<EndpointRow[]> {
    return this.db
      .update(webhookEndpoints)
      .set({ enabled: false, disabledReason: reason })
      .where(and(eq(webhookEndpoints.enabled, true), sql`${webhookEndpoints.failingSince} < ${cutoff.toISOString()}::timestamptz`))
      .returning();
  }

  /** Enabled endpoints of `project` subscribed to `type`. */
  async subscribers(project: string, type: string): Promise<EndpointRow[]> {
    return this.db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.project, project), eq(webhookEndpoints.enabled, true), sql`(${type} = ANY(${webhookEndpoints.events}) OR '*' = ANY(${webhookEndpoints.events}))`));
  }
}
