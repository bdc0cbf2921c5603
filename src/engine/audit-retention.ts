import { sql } from 'drizzle-orm';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { purgeAudit, recordAudit } from './audit.ts';

/** The pg-boss queue of the retention purge (one job per period, across all replicas). */
export const AUDIT_PURGE_QUEUE = 'audit.purge';

export interface AuditRetentionOptions {
  boss: PgBoss;
  db: Db;
  log: Logger;
  /** Days audit rows are kept (HANGAR_AUDIT_RETENTION_DAYS, default 365). */
  retentionDays: number;
  /** Seconds between purges (default 3600). */
  intervalSeconds?: number;
  pollSeconds: number;
}

/**
 * The audit log's retention: a scheduled pg-boss job (one per period on a `stately` queue with one
 * singleton key, so one replica runs it) deletes rows older than the retention and records that it
 * did, as an audit row of its own.
 *
 * @example
 * const retention = new AuditRetention({ boss, db, log, retentionDays: 365, pollSeconds: 2 });
 * await retention.start();
 */
export class AuditRetention {
  private worker: string | null = null;
  private reseed: NodeJS.Timeout | undefined;
  private readonly interval: number;
  /** Purges this process ran (tests wait on it). */
  runs = 0;

  constructor(private readonly o: AuditRetentionOptions) {
    this.interval = Math.max(1, o.intervalSeconds ?? 3600);
  }

  async start(): Promise<void> {
    const { boss, pollSeconds, log } = this.o;
    await boss.createQueue(AUDIT_PURGE_QUEUE, { name: AUDIT_PURGE_QUEUE, policy: 'stately', retryLimit: 2, retryDelay: 30, expireInSeconds: 600 });
    this.worker = await boss.work<{ slot: number }>(AUDIT_PURGE_QUEUE, { pollingIntervalSeconds: Math.max(0.5, pollSeconds), batchSize: 1 }, async () => {
      await this.scheduleNext();
      await this.purge();
    });
    await this.scheduleNext();
    this.reseed = setInterval(() => void this.scheduleNext().catch((err) => log.warn({ err }, 'queueing the next audit purge failed')), Math.min(60, this.interval) * 1000);
    this.reseed.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.reseed);
    if (this.worker) await this.o.boss.offWork({ id: this.worker }).catch(() => {});
    this.worker = null;
  }

  /** Delete what is past retention now; a purge that deleted rows leaves a row saying so. */
  async purge(): Promise<number> {
    const { db, retentionDays, log } = this.o;
    const deleted = await purgeAudit(db, retentionDays);
    this.runs++;
    if (deleted > 0) {
      await recordAudit(db, { actor: 'system:audit-retention', action: 'audit.purge', objectType: 'audit-log', outcome: 'ok', reason: `deleted ${deleted} rows older than ${retentionDays} days`, data: { deleted, retentionDays } });
      log.info({ deleted, retentionDays }, 'audit rows past retention deleted');
    }
    return deleted;
  }

  private async scheduleNext(): Promise<void> {
    const res = (await this.o.db.execute(sql`SELECT extract(epoch FROM now())::float8 AS t`)) as unknown as { rows: { t: number }[] };
    const slot = Math.floor(Number(res.rows[0].t) / this.interval) + 1;
    await this.o.boss.send(AUDIT_PURGE_QUEUE, { slot }, { singletonKey: `every-${this.interval}s`, startAfter: new Date(slot * this.interval * 1000), retryLimit: 2 });
  }
}
