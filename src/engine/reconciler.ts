import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { orphans } from '../db/schema.ts';
import { ConflictError } from '../domain/errors.ts';
import { LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_ROLE } from '../domain/names.ts';
import type { CloudProvider, ServerInfo } from '../providers/types.ts';
import { HIBERNATE_ROLE } from './systems/hibernate.ts';
import type { Engine } from './engine.ts';
import { acquireLease, leaseHolder, releaseLease } from './lease.ts';
import { recordAudit } from './audit.ts';
import { withApiLane } from '../http/lanes.ts';

/** What one pass saw and did; also the body of `POST /v1/reconcile`. */
export interface ReconcileReport {
  replica: string;
  startedAt: string;
  durationMs: number;
  providers: { name: string; servers: number; error?: string }[];
  adopted: string[];
  vanished: string[];
  orphansMarked: string[];
  orphansDeleted: string[];
  duplicatesDeleted: string[];
  resumed: string[];
  /** Servers of a stopped (hibernated) instance and images no instance uses: leaked by a crash mid-stop/start. */
  leaksDeleted: string[];
}

export interface ReconcilerOptions {
  db: Db;
  engine: Engine;
  log: Logger;
  replicaId: string;
  /** Seconds between passes (HANGAR_RECONCILE_SECONDS, default 300). */
  intervalSeconds: number;
  /** Seconds an unexplained server is kept before it is deleted (default 600). */
  orphanGraceSeconds: number;
}

const LEASE = 'reconciler';

/**
 * Compares what the clouds have (servers labelled for this installation) with what the
 * database says, and repairs the difference. One leader at a time, by lease.
 *
 * - a server whose instance lost its id (crash between create and record) is adopted;
 * - a second server for one instance is deleted (the recorded one stays);
 * - a server no live instance explains is marked orphan, and deleted on a later pass once
 *   `orphanGraceSeconds` have passed;
 * - an instance whose server vanished fails (and its onFailure policy runs);
 * - an instance in a non-terminal state gets its driving job back (a job lost with a dead
 *   process, a teardown that ran out of retries), which also enforces its timeouts.
 * Every action on an instance is an event.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | null = null;

  constructor(private readonly o: ReconcilerOptions) {}

  /** Run a pass every `intervalSeconds` (first one soon after start). */
  start(): void {
    const tick = () => {
      this.runOnce().catch((err) => {
        if (!(err instanceof ConflictError)) this.o.log.warn({ err }, 'reconcile pass failed');
      });
      this.timer = setTimeout(tick, this.o.intervalSeconds * 1000);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, Math.min(5, this.o.intervalSeconds) * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** One pass now, if this replica can take the lease; ConflictError names the holder if not. */
  async runOnce(): Promise<ReconcileReport> {
    if (this.running) return this.running;
    const ttl = Math.max(60, this.o.intervalSeconds);
    if (!(await acquireLease(this.o.db, LEASE, this.o.replicaId, ttl))) {
      throw new ConflictError(`a reconcile pass is running on ${(await leaseHolder(this.o.db, LEASE)) ?? 'another replica'}; try again shortly`);
    }
    // Reconcile calls go in the urgent lane of the cloud-API budget, with deletes.
    this.running = withApiLane({ lane: 'urgent' }, () => this.pass()).finally(async () => {
      this.running = null;
      await releaseLease(this.o.db, LEASE, this.o.replicaId).catch(() => {});
    });
    return this.running;
  }

  private async pass(): Promise<ReconcileReport> {
    const { engine, db } = this.o;
    const store = engine.store;
    const t0 = Date.now();
    const report: ReconcileReport = { replica: this.o.replicaId, startedAt: new Date(t0).toISOString(), durationMs: 0, providers: [], adopted: [], vanished: [], orphansMarked: [], orphansDeleted: [], duplicatesDeleted: [], resumed: [], leaksDeleted: [] };
    const install = engine.installationId;

    for (const [name, provider] of engine.providers) {
      let servers: ServerInfo[];
      try {
        servers = await provider.findServers({ labels: { [LABEL_INSTALLATION]: install } });
      } catch (err) {
        report.providers.push({ name, servers: 0, error: (err as Error).message });
        continue; // a provider we cannot list is left alone this pass
      }
      report.providers.push({ name, servers: servers.length });
      const byInstance = new Map<string, ServerInfo[]>();
      for (const s of servers) {
        if (s.labels[LABEL_ROLE] && s.labels[LABEL_ROLE] !== 'instance') continue; // snapshot builders are not ours to judge
        const id = s.labels[LABEL_INSTANCE] ?? '';
        byInstance.set(id, [...(byInstance.get(id) ?? []), s]);
      }
      const seen = new Set(servers.map((s) => s.id));

      // Servers → instances.
      for (const [instanceId, list] of byInstance) {
        const row = /^[0-9a-f-]{36}$/.test(instanceId) ? await store.find(instanceId) : undefined;
        const live = row && row.provider === name && row.status !== 'stopped' && !(row.status === 'failed' && row.onFailure === 'destroy');
        if (!row || !live) {
          for (const s of list) await this.orphan(name, s, row?.id ?? null, report);
          continue;
        }
        await db.delete(orphans).where(and(eq(orphans.provider, name), inArray(orphans.serverId, list.map((s) => s.id))));
        if (row.status === 'hibernated' && !row.keepServer) {
          // Stopped: its disk is in its image; a server still labelled for it bills for nothing.
          for (const s of list) {
            await provider.deleteServer(s.id);
            await store.event(row.id, { actor: 'reconciler', kind: 'warning', reason: `deleted server ${s.id} left running by an interrupted stop or start; the instance is stopped (image ${row.hibernateImageId ?? 'none'})`, data: { serverId: s.id } });
            report.leaksDeleted.push(s.id);
          }
          continue;
        }
        if (row.status === 'hibernating') continue; // its stop job owns these servers
        const keep = list.find((s) => s.id === row.serverId) ?? list[0];
        if (row.serverId !== keep.id && !(row.status === 'provisioning' && row.step === 'create_server')) {
          await store.update(row.id, { serverId: keep.id, ipv4: keep.ipv4 ?? row.ipv4, ipv6: keep.ipv6 ?? row.ipv6 });
          await store.event(row.id, { actor: 'reconciler', kind: 'info', reason: `adopted server ${keep.id} found by label (the instance had ${row.serverId ?? 'no server id'})`, data: { serverId: keep.id } });
          report.adopted.push(keep.id);
        }
        for (const extra of list.filter((s) => s !== keep)) {
          await provider.deleteServer(extra.id);
          await recordAudit(db, { actor: 'system:reconciler', action: 'server.delete-duplicate', objectType: 'server', objectId: `${name}/${extra.id}`, outcome: 'ok', reason: `a second server of instance ${row.id}; ${keep.id} stays`, data: { instanceId: row.id, serverName: extra.name } });
          await store.event(row.id, { actor: 'reconciler', kind: 'warning', reason: `deleted duplicate server ${extra.id}; ${keep.id} is this instance's server`, data: { serverId: extra.id } });
          report.duplicatesDeleted.push(extra.id);
        }
      }

      await this.images(name, provider, report);

      // Instances → servers: a recorded server that is gone.
      for (const row of await store.byStatus(['provisioning', 'running'])) {
        if (row.provider !== name || !row.serverId || seen.has(row.serverId)) continue;
        if (row.status === 'provisioning' && row.step === 'create_server') continue; // being created
        if (await provider.getServer(row.serverId)) continue; // listed lazily by the provider
        await store.event(row.id, { actor: 'reconciler', kind: 'error', reason: `server ${row.serverId} no longer exists at ${name}`, data: { serverId: row.serverId, code: 'not_found' } });
        await engine.fail(row.id, `server ${row.serverId} vanished`, 'reconciler');
        report.vanished.push(row.id);
      }
    }

    // Non-terminal instances get their driving job back (idempotent; enforces timeouts too).
    for (const row of await store.byStatus(['pending', 'provisioning', 'stopping', 'hibernating', 'running'])) {
      if (row.status === 'running' && !row.hibernateImageId) continue;
      if (await engine.resume(row.id)) report.resumed.push(row.id);
    }
    report.durationMs = Date.now() - t0;
    this.o.log.info({ report: { ...report, resumed: report.resumed.length } }, 'reconcile pass');
    return report;
  }

  /**
   * Hibernation images (role `hibernate`) no instance needs: the instance is gone, stopped for
   * good, or restored and running from a different image. A hibernating instance's image may not
   * be recorded yet (its job adopts it by label): left alone.
   */
  private async images(name: string, provider: CloudProvider, report: ReconcileReport): Promise<void> {
    if (!provider.deleteSnapshot) return;
    const images = await provider.listImages({ kind: 'snapshot', labels: { [LABEL_INSTALLATION]: this.o.engine.installationId, [LABEL_ROLE]: HIBERNATE_ROLE } }).catch(() => []);
    for (const img of images) {
      const instanceId = img.labels[LABEL_INSTANCE] ?? '';
      const row = /^[0-9a-f-]{36}$/.test(instanceId) ? await this.o.engine.store.find(instanceId) : undefined;
      const needed = row && row.provider === name && (row.status === 'hibernating' || row.hibernateImageId === img.id);
      if (needed) continue;
      await provider.deleteSnapshot(img.id);
      report.leaksDeleted.push(img.id);
      if (row) await this.o.engine.store.event(row.id, { actor: 'reconciler', kind: 'warning', reason: `deleted hibernation image ${img.id}: the instance is ${row.status} and does not use it`, data: { imageId: img.id } });
    }
  }

  /** First sighting: remember it. Past the grace period: delete it. */
  private async orphan(provider: string, s: ServerInfo, instanceId: string | null, report: ReconcileReport): Promise<void> {
    const { db, engine } = this.o;
    const fresh = await db.insert(orphans).values({ provider, serverId: s.id, serverName: s.name, instanceId }).onConflictDoNothing().returning();
    const [rec] = await db.select().from(orphans).where(and(eq(orphans.provider, provider), eq(orphans.serverId, s.id)));
    const [{ now }] = ((await db.execute(sql`SELECT now() AS now`)) as unknown as { rows: { now: string | Date }[] }).rows;
    const ageSeconds = (new Date(now).getTime() - rec.firstSeenAt.getTime()) / 1000;
    if (ageSeconds < this.o.orphanGraceSeconds) {
      if (fresh.length) {
        report.orphansMarked.push(s.id);
        this.o.log.warn({ provider, serverId: s.id, name: s.name }, `orphan server marked; deleted after ${this.o.orphanGraceSeconds}s unless an instance claims it`);
        if (instanceId) await engine.store.event(instanceId, { actor: 'reconciler', kind: 'warning', reason: `server ${s.id} is labelled for instance but not used by it; marked orphan`, data: { serverId: s.id, orphan: 'found' } });
      }
      return;
    }
    await engine.provider(provider).deleteServer(s.id);
    await db.delete(orphans).where(and(eq(orphans.provider, provider), eq(orphans.serverId, s.id)));
    report.orphansDeleted.push(s.id);
    await recordAudit(db, { actor: 'system:reconciler', action: 'orphan.delete', objectType: 'server', objectId: `${provider}/${s.id}`, outcome: 'ok', reason: `no live instance explains it after the ${this.o.orphanGraceSeconds}s grace period`, data: { serverName: s.name, instanceId } });
    this.o.log.warn({ provider, serverId: s.id, name: s.name }, 'orphan server deleted');
    if (instanceId) await engine.store.event(instanceId, { actor: 'reconciler', kind: 'warning', reason: `orphan server ${s.id} deleted after the grace period`, data: { serverId: s.id, orphan: 'deleted' } });
  }
}
