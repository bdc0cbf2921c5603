import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { instanceEvents, instances, webhookAlarms } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { Coalesced } from '../../domain/coalesce.ts';
import { newWebhookSecret, retryDelayMs, urlProblem, type WebhookFormat, type WebhookPayload } from '../../domain/webhooks.ts';
import { resolveAllowed, sendOnce, type AddressPolicy } from './send.ts';
import { WebhookStore, type ClaimedDelivery, type EndpointRow } from './store.ts';

export interface WebhookOptions {
  db: Db;
  secretKey: Buffer;
  policy: AddressPolicy;
  log: Logger;
  /** Per-attempt timeout (HANGAR_WEBHOOK_TIMEOUT_MS, 10 s). */
  timeoutMs?: number;
  /** First retry delay; doubles each time, ±50 % jitter (HANGAR_WEBHOOK_RETRY_BASE_MS, 5 s). */
  retryBaseMs?: number;
  /** Give a delivery up after this long (24 h). */
  maxAgeMs?: number;
  /** Disable an endpoint that failed continuously this long (24 h). */
  disableAfterMs?: number;
  /** `instance.unreachable` after the connection was lost this long (HANGAR_ALERT_UNREACHABLE_MINUTES, 5). */
  unreachableMs?: number;
  /** How often an idle worker looks for due work (HANGAR_WEBHOOK_POLL_MS, 1 s). */
  pollMs?: number;
  /** Attempts in flight at once on this replica. */
  concurrency?: number;
  now?: () => Date;
  /** Told of each event this module writes (the SSE bus). */
  onEvent?: (instanceId: string) => void;
}

/** An endpoint as the API shows it: never its secret. */
export const endpointJson = (e: EndpointRow) => ({
  id: e.id,
  project: e.project,
  url: e.url,
  events: e.events,
  format: e.format as WebhookFormat,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  failingSince: e.failingSince?.toISOString() ?? null,
  createdAt: e.createdAt.toISOString(),
  createdBy: e.createdBy,
});

/**
 * Outbound webhooks: endpoint management (URL checked where it resolves), and the delivery
 * worker every replica runs. Deliveries are rows the event-log trigger writes in the event's own
 * transaction; workers claim them with `FOR UPDATE SKIP LOCKED` (one in flight per endpoint and
 * instance, in order), sign them (Standard Webhooks), and retry with exponential backoff and
 * jitter for up to 24 h. The same loop turns due unreachable alarms into events and disables
 * endpoints failing for 24 h.
 *
 * @example
 * const w = new Webhooks({ db, secretKey, policy: { allowHttp: false, allowPrivate: false }, log });
 * const { endpoint, secret } = await w.add('default', { url: 'https://hooks.example.com/x', events: ['instance.failed'], format: 'standard' }, 'api:admin');
 * w.start();
 */
export class Webhooks {
  readonly store: WebhookStore;
  private readonly o: Required<Omit<WebhookOptions, 'onEvent'>> & Pick<WebhookOptions, 'onEvent'>;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly pumper = new Coalesced(() => this.claimDue());
  private ticks = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(o: WebhookOptions) {
    this.o = { timeoutMs: 10_000, retryBaseMs: 5_000, maxAgeMs: 86_400_000, disableAfterMs: 86_400_000, unreachableMs: 300_000, pollMs: 1_000, concurrency: 16, now: () => new Date(), ...o };
    this.store = new WebhookStore(o.db, o.secretKey);
  }

  /** Check a URL as an endpoint would use it: scheme, then every address its host resolves to. */
  async checkUrl(url: string): Promise<void> {
    const problem = urlProblem(url, { allowHttp: this.o.policy.allowHttp });
    if (problem) throw new ValidationError(`url ${problem}`, [{ field: 'url', message: problem }]);
    try {
      await resolveAllowed(new URL(url).hostname, this.o.policy);
    } catch (err) {
      throw new ValidationError(`url: ${(err as Error).message}`, [{ field: 'url', message: (err as Error).message }]);
    }
  }

  /** Add an endpoint; the secret is returned here and never again. */
  async add(project: string, v: { url: string; events: string[]; format: WebhookFormat }, actor: string | null): Promise<{ endpoint: EndpointRow; secret: string }> {
    await this.checkUrl(v.url);
    const secret = newWebhookSecret();
    const endpoint = await this.store.createEndpoint({ project, url: v.url, events: [...new Set(v.events)], format: v.format, secret, createdBy: actor });
    return { endpoint, secret };
  }

  async get(project: string, id: string): Promise<EndpointRow> {
    const e = await this.store.endpoint(project, id);
    if (!e) throw new NotFoundError('webhook', id.slice(0, 64));
    return e;
  }

  /** Queue a `webhook.test` message to the endpoint (signed and logged like any other). */
  async test(project: string, id: string) {
    const e = await this.get(project, id);
    const [d] = await this.store.enqueue([e.id], project, { type: 'webhook.test', timestamp: this.o.now().toISOString(), data: { message: 'test delivery from Hangar', endpoint: e.id } });
    this.kick();
    return d;
  }

  /** Wake the worker now (an event was just written). */
  kick(): void {
    if (this.timer) void this.pump();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.ticks++;
      if (this.ticks % 5 === 1) void this.housekeeping().catch((err) => this.o.log.warn({ err: (err as Error).message }, 'webhooks: housekeeping failed'));
      void this.pump();
    }, this.o.pollMs);
    this.timer.unref?.();
    void this.pump();
  }

  /** Stop claiming; wait for the attempts in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.running]);
  }

  /** Claim while there is capacity and due work; each finished attempt pumps again. */
  private pump(): Promise<void> {
    return this.pumper.run();
  }

  /** One claim of due deliveries into the free slots; 'again' when it filled them all. */
  private async claimDue(): Promise<boolean | 'again'> {
    const room = this.o.concurrency - this.inFlight;
    if (room <= 0 || !this.timer) return false;
    try {
      const claimed = await this.store.claim({ now: this.o.now(), limit: room, leaseMs: this.o.timeoutMs * 2 + 5_000 });
      for (const d of claimed) this.track(this.attempt(d));
      return claimed.length === room ? 'again' : true;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'webhooks: claiming failed');
      return false;
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight++;
    this.running.add(p);
    void p.finally(() => {
      this.inFlight--;
      this.running.delete(p);
      // Claim in batches: once half the slots are free (or all are), not after every attempt.
      if (this.inFlight === 0 || this.o.concurrency - this.inFlight >= Math.ceil(this.o.concurrency / 2)) void this.pump();
    });
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    try {
      const out = await sendOnce(d, { timeoutMs: this.o.timeoutMs, policy: this.o.policy, now: this.o.now() });
      const now = this.o.now();
      const ok = out.statusCode !== null && out.statusCode >= 200 && out.statusCode < 300;
      const retryAt = ok ? null : new Date(now.getTime() + retryDelayMs(d.attempts, this.o.retryBaseMs));
      const giveUp = !ok && retryAt!.getTime() - d.createdAt.getTime() > this.o.maxAgeMs;
      await this.store.complete(d, out, now, giveUp ? null : retryAt);
      if (!ok) this.o.log.info({ delivery: d.id, endpoint: d.endpointId, attempt: d.attempts, status: out.statusCode, error: out.error }, giveUp ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
    } catch (err) {
      // The lease runs out and another attempt follows (same webhook-id).
      this.o.log.warn({ err: (err as Error).message, delivery: d.id }, 'webhooks: recording an attempt failed');
    }
  }

  /** Due unreachable alarms → events; endpoints failing for too long → disabled (with an event). */
  async housekeeping(): Promise<void> {
    const now = this.o.now();
    await this.fireUnreachable(now);
    const disabled = await this.store.disableFailing(new Date(now.getTime() - this.o.disableAfterMs), `every delivery failed for ${Math.round(this.o.disableAfterMs / 3_600_000)} h`);
    for (const e of disabled) {
      this.o.log.warn({ endpoint: e.id, project: e.project }, 'webhook endpoint disabled: failing for 24 h');
      const to = (await this.store.subscribers(e.project, 'webhook.disabled')).map((x) => x.id);
      const payload: WebhookPayload = { type: 'webhook.disabled', timestamp: now.toISOString(), data: { endpoint: e.id, url: e.url, message: `endpoint ${e.url} disabled: ${e.disabledReason}` } };
      await this.store.enqueue(to, e.project, payload);
    }
  }

  private async fireUnreachable(now: Date): Promise<void> {
    const cutoff = new Date(now.getTime() - this.o.unreachableMs).toISOString();
    const fired = await this.o.db.transaction(async (tx) => {
      const due = await tx.select().from(webhookAlarms).where(sql`${webhookAlarms.lostAt} <= ${cutoff}::timestamptz`).limit(50).for('update', { skipLocked: true });
      const out: string[] = [];
      for (const a of due) {
        const [row] = await tx.select({ connection: instances.connection, status: instances.status }).from(instances).where(eq(instances.id, a.instanceId));
        if (row?.connection === 'disconnected' && row.status === 'running') {
          const minutes = Math.round((now.getTime() - a.lostAt.getTime()) / 60_000);
          await tx.insert(instanceEvents).values({ instanceId: a.instanceId, actor: 'webhooks', kind: 'warning', reason: `agent unreachable: connection lost ${minutes} min ago (at ${a.lostAt.toISOString()}) and not back`, data: { alert: 'unreachable', lostAt: a.lostAt.toISOString() } });
          out.push(a.instanceId);
        }
        // By key alone: the row is locked, and lost_at holds microseconds a JS Date cannot carry back.
        await tx.delete(webhookAlarms).where(eq(webhookAlarms.instanceId, a.instanceId));
      }
      return out;
    });
    for (const id of fired) this.o.onEvent?.(id);
    if (fired.length) this.kick();
  }
}
