import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { instanceEvents, instances } from '../db/schema.ts';
import { NotFoundError } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import {
  connectionTransition,
  STEPS,
  stepIndex,
  transition,
  type Connection,
  type ConnectionEvent,
  type Lifecycle,
  type LifecycleEvent,
  type LifecycleState,
  type Step,
} from '../domain/lifecycle.ts';

export type InstanceRow = typeof instances.$inferSelect;
/** A row of the event log about an instance (the log's other rows are snapshot builds': snapshots/build-store.ts). */
export type EventRow = Omit<typeof instanceEvents.$inferSelect, 'instanceId' | 'snapshotBuildId'> & { instanceId: string };
/** An instance's event as read back: queries filter on the instance, so `instance_id` is set. */
const asEvent = (row: typeof instanceEvents.$inferSelect): EventRow => row as EventRow;
export type InstanceUpdate = Partial<typeof instances.$inferInsert>;

/** Who caused an event: `api:<key prefix>`, `engine`, `agent`, `hub`, `reconciler`, `timeout`. */
export type Actor = string;

export interface EventInput {
  actor: Actor;
  kind: 'transition' | 'connection' | 'log' | 'info' | 'warning' | 'error' | 'budget_warning';
  reason?: string | null;
  data?: Record<string, unknown> | null;
  /** When it happened, if not now (an agent's log line keeps the agent's own time). */
  at?: Date;
}

/**
 * The instance store: intent rows and their append-only event log. Every lifecycle change goes
 * through {@link Store.transition}, which locks the row, applies the pure transition function
 * and appends exactly one event in the same transaction.
 */
export class Store {
  constructor(
    readonly db: Db,
    private readonly onEvent: (e: EventRow) => void = () => {},
  ) {}

  async get(id: string): Promise<InstanceRow> {
    const row = await this.find(id);
    if (!row) throw new NotFoundError('instance', id);
    return row;
  }

  async find(id: string): Promise<InstanceRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(instances).where(eq(instances.id, id));
    return row;
  }

  /** Look an instance up by a unique column (agent id, token hash). */
  async findBy(column: 'agentId' | 'bootstrapTokenHash', value: string): Promise<InstanceRow | undefined> {
    // Agent ids are UUIDs, token hashes hex: anything else matches no row (and is no failed cast).
    if (column === 'agentId' ? !isUuid(value) : !/^[0-9a-f]{1,128}$/.test(value)) return undefined;
    const [row] = await this.db.select().from(instances).where(eq(instances[column], value));
    return row;
  }

  /** Mark a bootstrap token used, atomically: only one caller ever wins. */
  async spendBootstrapToken(hash: string, set: InstanceUpdate): Promise<boolean> {
    const rows = await this.db
      .update(instances)
      .set({ ...set, bootstrapTokenUsedAt: new Date(), bootstrapTokenSealed: null, updatedAt: new Date() })
      .where(and(eq(instances.bootstrapTokenHash, hash), isNull(instances.bootstrapTokenUsedAt)))
      .returning({ id: instances.id });
    return rows.length === 1;
  }

  /**
   * The same agent enrolling again (its response was lost): apply `set` only while the stored
   * proof hash is still `proofHash` and the agent never connected, so each proof works once even
   * for two requests racing with it.
   *
   * @example
   * await store.reEnroll(id, row.enrollProofHash!, { agentKeyHash, enrollProofHash: next }) // false: lost the race
   */
  async reEnroll(id: string, proofHash: string, set: InstanceUpdate): Promise<boolean> {
    const rows = await this.db
      .update(instances)
      .set({ ...set, updatedAt: new Date() })
      .where(and(eq(instances.id, id), eq(instances.enrollProofHash, proofHash), eq(instances.connection, 'connecting'), isNotNull(instances.bootstrapTokenUsedAt)))
      .returning({ id: instances.id });
    return rows.length === 1;
  }

  /** Insert an instance and its first event; `within` runs first in the same transaction (the budget reservation). */
  async insert(values: typeof instances.$inferInsert, event: EventInput, within?: (tx: Db) => Promise<void>): Promise<InstanceRow> {
    const { row, ev } = await this.db.transaction(async (tx) => {
      await within?.(tx as unknown as Db);
      const [row] = await tx.insert(instances).values(values).returning();
      const [ev] = await tx
        .insert(instanceEvents)
        .values({ instanceId: row.id, actor: event.actor, kind: 'transition', toStatus: row.status, reason: event.reason ?? 'instance requested', data: event.data ?? null })
        .returning();
      return { row, ev };
    });
    this.onEvent(asEvent(ev));
    return row;
  }

  /** Update fields without a lifecycle change (ids, IPs, heartbeats). */
  async update(id: string, set: InstanceUpdate): Promise<InstanceRow> {
    const [row] = await this.db.update(instances).set({ ...set, updatedAt: new Date() }).where(eq(instances.id, id)).returning();
    if (!row) throw new NotFoundError('instance', id);
    return row;
  }

  /**
   * Apply a lifecycle event: lock, check with the pure transition function (throws
   * IllegalTransitionError), write, append one event row.
   */
  async transition(id: string, event: LifecycleEvent, ev: Omit<EventInput, 'kind'>, set: InstanceUpdate = {}): Promise<InstanceRow> {
    const { row, evRow } = await this.db.transaction(async (tx) => {
      const [cur] = await tx.select().from(instances).where(eq(instances.id, id)).for('update');
      if (!cur) throw new NotFoundError('instance', id);
      const next = transition({ status: cur.status as Lifecycle, step: cur.step as Step | null }, event);
      const extra: InstanceUpdate = {};
      if (event.type === 'fail') extra.failureReason = event.reason;
      if (event.type === 'ready') extra.runningAt = new Date();
      const [row] = await tx
        .update(instances)
        .set({ ...set, ...extra, status: next.status, step: next.step, updatedAt: new Date() })
        .where(eq(instances.id, id))
        .returning();
      const [evRow] = await tx
        .insert(instanceEvents)
        .values({
          instanceId: id,
          actor: ev.actor,
          kind: 'transition',
          fromStatus: cur.status,
          toStatus: next.status,
          step: next.step ?? (event.type === 'fail' ? cur.step : null),
          reason: ev.reason ?? (event.type === 'fail' ? event.reason : null),
          data: ev.data ?? null,
        })
        .returning();
      return { row, evRow };
    });
    this.onEvent(asEvent(evRow));
    return row;
  }

  /**
   * Move a provisioning instance forward to `step`, recording every step in between (so each
   * event log is a complete path even when an agent races ahead of the engine), all under one
   * row lock. A no-op (returns null, still applying `set`) when the instance is not
   * provisioning or is already at or past `step`.
   */
  async advance(id: string, step: Step, ev: Omit<EventInput, 'kind'>, set: InstanceUpdate = {}): Promise<InstanceRow | null> {
    const out = await this.db.transaction(async (tx) => {
      const [cur] = await tx.select().from(instances).where(eq(instances.id, id)).for('update');
      if (!cur) throw new NotFoundError('instance', id);
      if (cur.status !== 'provisioning' || !cur.step || stepIndex(cur.step as Step) >= stepIndex(step)) {
        if (Object.keys(set).length) await tx.update(instances).set({ ...set, updatedAt: new Date() }).where(eq(instances.id, id));
        return null;
      }
      let state: LifecycleState = { status: 'provisioning', step: cur.step as Step };
      const evRows: EventRow[] = [];
      for (const s of STEPS.slice(stepIndex(cur.step as Step) + 1, stepIndex(step) + 1)) {
        const next = transition(state, { type: 'step', step: s });
        const [evRow] = await tx
          .insert(instanceEvents)
          .values({ instanceId: id, actor: ev.actor, kind: 'transition', fromStatus: state.status, toStatus: next.status, step: s, reason: s === step ? (ev.reason ?? null) : `${s} (reached on the way to ${step})`, data: s === step ? (ev.data ?? null) : null })
          .returning();
        evRows.push(asEvent(evRow));
        state = next;
      }
      const [row] = await tx.update(instances).set({ ...set, step, updatedAt: new Date() }).where(eq(instances.id, id)).returning();
      return { row, evRows };
    });
    if (!out) return null;
    for (const e of out.evRows) this.onEvent(e);
    return out.row;
  }

  /** Apply a connection-axis event; returns null when it is a no-op (already in that state). */
  async connection(id: string, event: ConnectionEvent, ev: Omit<EventInput, 'kind'>, set: InstanceUpdate = {}): Promise<InstanceRow | null> {
    const out = await this.db.transaction(async (tx) => {
      const [cur] = await tx.select().from(instances).where(eq(instances.id, id)).for('update');
      if (!cur) throw new NotFoundError('instance', id);
      let next: Connection;
      try {
        next = connectionTransition(cur.connection as Connection, event);
      } catch {
        if (Object.keys(set).length) await tx.update(instances).set({ ...set, updatedAt: new Date() }).where(eq(instances.id, id));
        return null;
      }
      const [row] = await tx.update(instances).set({ ...set, connection: next, updatedAt: new Date() }).where(eq(instances.id, id)).returning();
      const [evRow] = await tx
        .insert(instanceEvents)
        .values({ instanceId: id, actor: ev.actor, kind: 'connection', fromStatus: cur.connection, toStatus: next, reason: ev.reason ?? null, data: ev.data ?? null })
        .returning();
      return { row, evRow };
    });
    if (!out) return null;
    this.onEvent(asEvent(out.evRow));
    return out.row;
  }

  async event(id: string, ev: EventInput): Promise<EventRow> {
    const [row] = await this.db
      .insert(instanceEvents)
      .values({ instanceId: id, actor: ev.actor, kind: ev.kind, reason: ev.reason ?? null, data: ev.data ?? null, ...(ev.at ? { at: ev.at } : {}) })
      .returning();
    this.onEvent(asEvent(row));
    return asEvent(row);
  }

  /** When the instance entered its current lifecycle state or step (its latest transition). */
  async lastTransitionAt(id: string): Promise<Date | null> {
    const [row] = await this.db
      .select({ at: instanceEvents.at })
      .from(instanceEvents)
      .where(and(eq(instanceEvents.instanceId, id), eq(instanceEvents.kind, 'transition')))
      .orderBy(desc(instanceEvents.id))
      .limit(1);
    return row?.at ?? null;
  }

  async events(id: string, opts: { after?: number; limit?: number } = {}): Promise<EventRow[]> {
    const rows = await this.db
      .select()
      .from(instanceEvents)
      .where(and(eq(instanceEvents.instanceId, id), gt(instanceEvents.id, opts.after ?? 0)))
      .orderBy(asc(instanceEvents.id))
      .limit(opts.limit ?? 500);
    return rows.map(asEvent);
  }

  /** Whether the instance ever entered `status` (one indexed lookup in its own events). */
  async everEntered(id: string, status: string): Promise<boolean> {
    const [r] = await this.db
      .select({ id: instanceEvents.id })
      .from(instanceEvents)
      .where(and(eq(instanceEvents.instanceId, id), eq(instanceEvents.kind, 'transition'), eq(instanceEvents.toStatus, status)))
      .limit(1);
    return Boolean(r);
  }

  /** Whether the agent connected (again) after `since`: a restarted agent is back. */
  async reconnectedAfter(id: string, since: Date): Promise<boolean> {
    const [r] = await this.db
      .select({ id: instanceEvents.id })
      .from(instanceEvents)
      .where(and(eq(instanceEvents.instanceId, id), eq(instanceEvents.kind, 'connection'), eq(instanceEvents.toStatus, 'connected'), gt(instanceEvents.at, since)))
      .limit(1);
    return Boolean(r);
  }

  /** Every instance's events (not snapshot builds'), in id order. */
  async allEvents(opts: { after?: number; limit?: number; project?: string } = {}): Promise<EventRow[]> {
    const inProject = opts.project === undefined ? undefined : inArray(instanceEvents.instanceId, this.db.select({ id: instances.id }).from(instances).where(eq(instances.project, opts.project)));
    const rows = await this.db
      .select()
      .from(instanceEvents)
      .where(and(isNotNull(instanceEvents.instanceId), gt(instanceEvents.id, opts.after ?? 0), inProject))
      .orderBy(asc(instanceEvents.id))
      .limit(opts.limit ?? 500);
    return rows.map(asEvent);
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async list(opts: { limit: number; cursor?: { createdAt: Date; id: string }; status?: string[]; provider?: string; project?: string }): Promise<InstanceRow[]> {
    const conds = [];
    if (opts.project !== undefined) conds.push(eq(instances.project, opts.project));
    if (opts.status?.length) conds.push(inArray(instances.status, opts.status));
    if (opts.provider) conds.push(eq(instances.provider, opts.provider));
    if (opts.cursor) {
      conds.push(or(lt(instances.createdAt, opts.cursor.createdAt), and(eq(instances.createdAt, opts.cursor.createdAt), lt(instances.id, opts.cursor.id))));
    }
    return this.db
      .select()
      .from(instances)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(instances.createdAt), desc(instances.id))
      .limit(opts.limit);
  }

  async byStatus(status: Lifecycle[]): Promise<InstanceRow[]> {
    return this.db.select().from(instances).where(inArray(instances.status, status));
  }

  async byConnection(connection: string): Promise<InstanceRow[]> {
    return this.db.select().from(instances).where(eq(instances.connection, connection));
  }

  async countsByStatus(): Promise<{ status: string; connection: string; n: number }[]> {
    const rows = await this.db
      .select({ status: instances.status, connection: instances.connection, n: sql<number>`count(*)::int` })
      .from(instances)
      .groupBy(instances.status, instances.connection);
    return rows;
  }
}

