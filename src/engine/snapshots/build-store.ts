import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { instanceEvents, snapshotBuilds } from '../../db/schema.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { snapshotBuildTransition, UNFINISHED_BUILD_STATUSES, type SnapshotBuildEvent, type SnapshotBuildStatus } from '../../domain/snapshot-build.ts';
import { isUuid } from '../../domain/ids.ts';

export type SnapshotBuildRow = typeof snapshotBuilds.$inferSelect;
type BuildUpdate = Partial<typeof snapshotBuilds.$inferInsert>;

/** One entry of a build's progress, as the API shows it (`snapshotBuildJson(...).events`). */
export interface BuildEvent {
  at: string;
  /** The build's status after the event. */
  status: string;
  message: string;
}

/** A build with its progress, read from the event log. */
export type SnapshotBuild = SnapshotBuildRow & { events: BuildEvent[] };

/** Who wrote a build event, and how notable it is. */
export interface BuildNote {
  message: string;
  actor?: string;
  kind?: 'info' | 'warning';
}

/**
 * Snapshot build rows and their part of the one event log (`instance_events` rows with
 * `snapshot_build_id` set). Every status change goes through {@link BuildStore.transition}:
 * lock the row, apply the pure transition function (src/domain/snapshot-build.ts), write, append
 * one event, in one transaction.
 *
 * @example
 * const store = new BuildStore(db);
 * await store.transition(id, { type: 'builder_created' }, 'builder server 42 created', { serverId: '42' });
 */
export class BuildStore {
  constructor(readonly db: Db) {}

  /** A build by id, or undefined (an id of the wrong shape finds nothing). */
  async find(id: string): Promise<SnapshotBuildRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(snapshotBuilds).where(eq(snapshotBuilds.id, id));
    return row;
  }

  /** A build by id, or NotFoundError. */
  async get(id: string): Promise<SnapshotBuildRow> {
    const row = await this.find(id);
    if (!row) throw new NotFoundError('snapshot build', id);
    return row;
  }

  /** Record a new (pending) build and its first event. */
  async insert(values: typeof snapshotBuilds.$inferInsert, note: BuildNote): Promise<SnapshotBuildRow> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(snapshotBuilds).values({ ...values, status: 'pending' }).returning();
      await tx.insert(instanceEvents).values({ snapshotBuildId: row.id, actor: note.actor ?? 'api', kind: 'transition', toStatus: row.status, reason: note.message });
      return row;
    });
  }

  /** Apply a status change (throws IllegalTransitionError when the machine does not allow it), with `set`. */
  async transition(id: string, event: SnapshotBuildEvent, note: BuildNote, set: BuildUpdate = {}): Promise<SnapshotBuildRow> {
    return this.db.transaction(async (tx) => {
      const [cur] = await tx.select().from(snapshotBuilds).where(eq(snapshotBuilds.id, id)).for('update');
      if (!cur) throw new NotFoundError('snapshot build', id);
      const next = snapshotBuildTransition(cur.status as SnapshotBuildStatus, event);
      const [row] = await tx
        .update(snapshotBuilds)
        .set({ ...set, ...(event.type === 'fail' ? { error: event.reason } : {}), status: next, updatedAt: new Date() })
        .where(eq(snapshotBuilds.id, id))
        .returning();
      await tx.insert(instanceEvents).values({ snapshotBuildId: id, actor: note.actor ?? 'engine', kind: 'transition', fromStatus: cur.status, toStatus: next, reason: note.message });
      return row;
    });
  }

  /** Record a fact about a build (its status unchanged), with `set`. */
  async note(id: string, note: BuildNote, set: BuildUpdate = {}): Promise<SnapshotBuildRow> {
    return this.db.transaction(async (tx) => {
      const [cur] = await tx.select().from(snapshotBuilds).where(eq(snapshotBuilds.id, id)).for('update');
      if (!cur) throw new NotFoundError('snapshot build', id);
      const [row] = await tx.update(snapshotBuilds).set({ ...set, updatedAt: new Date() }).where(eq(snapshotBuilds.id, id)).returning();
      await tx.insert(instanceEvents).values({ snapshotBuildId: id, actor: note.actor ?? 'engine', kind: note.kind ?? 'info', toStatus: cur.status, reason: note.message });
      return row;
    });
  }

  /** The builds with their progress from the event log (one query for all of them). */
  async withEvents(rows: SnapshotBuildRow[]): Promise<SnapshotBuild[]> {
    if (!rows.length) return [];
    const events = await this.db
      .select({ buildId: instanceEvents.snapshotBuildId, at: instanceEvents.at, status: instanceEvents.toStatus, message: instanceEvents.reason })
      .from(instanceEvents)
      .where(and(isNotNull(instanceEvents.snapshotBuildId), inArray(instanceEvents.snapshotBuildId, rows.map((r) => r.id))))
      .orderBy(asc(instanceEvents.id));
    const byBuild = new Map<string, BuildEvent[]>(rows.map((r) => [r.id, []]));
    for (const e of events) byBuild.get(e.buildId!)?.push({ at: e.at.toISOString(), status: e.status ?? '', message: e.message ?? '' });
    return rows.map((r) => ({ ...r, events: byBuild.get(r.id)! }));
  }

  /** The newest builds first. */
  async list(limit: number): Promise<SnapshotBuildRow[]> {
    return this.db.select().from(snapshotBuilds).orderBy(desc(snapshotBuilds.createdAt)).limit(limit);
  }

  /** Ids of the builds still under way (they get their job back after a crash). */
  async unfinished(): Promise<string[]> {
    const rows = await this.db.select({ id: snapshotBuilds.id }).from(snapshotBuilds).where(inArray(snapshotBuilds.status, [...UNFINISHED_BUILD_STATUSES]));
    return rows.map((r) => r.id);
  }
}
