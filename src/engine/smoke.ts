import { and, desc, eq, sql } from 'drizzle-orm';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { instanceEvents } from '../db/schema.ts';
import { ConflictError, HangarError } from '../domain/errors.ts';
import type { AgentOps, SmokeResult } from './ops.ts';
import { QUEUES } from './queue.ts';

/** The actor of timed smoke tests' events. */
export const SMOKE_TIMER_ACTOR = 'smoke-timer';

/** An instance's latest smoke test, read from its latest smoke event. */
export interface LastSmoke {
  result: SmokeResult;
  detail: string | null;
  at: string;
  actor: string;
}

/** A smoke event's result; events written before `data.result` existed say it in their reason. */
const RESULT = sql<string>`COALESCE(${instanceEvents.data}->>'result', CASE WHEN ${instanceEvents.reason} LIKE 'command smoke: pass%' THEN 'pass' ELSE 'fail' END)`;
const IS_SMOKE = and(eq(instanceEvents.kind, 'info'), sql`${instanceEvents.data}->>'command' = 'smoke'`);

/** The latest smoke result of an instance (manual or timed), or null if it never ran one. */
export async function lastSmoke(db: Db, instanceId: string): Promise<LastSmoke | null> {
  const [e] = await db
    .select({ result: RESULT, detail: sql<string | null>`${instanceEvents.data}->>'detail'`, at: instanceEvents.at, actor: instanceEvents.actor })
    .from(instanceEvents)
    .where(and(eq(instanceEvents.instanceId, instanceId), IS_SMOKE))
    .orderBy(desc(instanceEvents.id))
    .limit(1);
  return e ? { result: e.result === 'pass' ? 'pass' : 'fail', detail: e.detail, at: new Date(e.at).toISOString(), actor: e.actor } : null;
}

/** Running instances whose latest smoke test failed (the `hangar_instances_smoke_failing` gauge). */
export async function countSmokeFailing(db: Db): Promise<number> {
  const res = await db.execute(sql`
    SELECT count(*)::int AS n FROM instances i
    CROSS JOIN LATERAL (
      SELECT ${RESULT} AS result FROM ${instanceEvents}
      WHERE ${instanceEvents.instanceId} = i.id AND ${IS_SMOKE}
      ORDER BY ${instanceEvents.id} DESC LIMIT 1
    ) s
    WHERE i.status = 'running' AND s.result = 'fail'`);
  return Number((res as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
}

export interface SmokeTimerOptions {
  boss: PgBoss;
  db: Db;
  ops: AgentOps;
  log: Logger;
  /** Seconds between runs (HANGAR_SMOKE_INTERVAL_SECONDS, default 86400; 0 = off). */
  intervalSeconds: number;
  /** Queue polling interval. */
  pollSeconds: number;
  /** Smoke tests in flight at once (default 8). */
  concurrency?: number;
}

/** One run: the period it belongs to (`slot` × interval = its start, epoch seconds). */
interface SweepJob {
  slot: number;
  intervalSeconds: number;
}

/** What one run did. */
export interface SweepReport {
  slot: number;
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * The periodic smoke test: every `intervalSeconds`, one run across all replicas sends `smoke`
 * to every running, connected instance (at most `concurrency` at once) and records each result
 * as the manual smoke does.
 *
 * One run per period: periods are slots of the database clock; each run is a pg-boss job on a
 * `stately` queue under one singleton key, so at most one run waits at a time. A run first
 * queues the next period's job, then sweeps. Every replica (at start and each minute) also
 * queues the next period's job, a no-op while one waits, which mends a chain a crash broke.
 * Runs are never retried (a retry would smoke twice in one period).
 */
export class SmokeTimer {
  private worker: string | null = null;
  private reseed: NodeJS.Timeout | undefined;

  constructor(private readonly o: SmokeTimerOptions) {}

  /** Work the timer's queue and queue the next run (nothing when the interval is 0). */
  async start(): Promise<void> {
    const { boss, intervalSeconds, pollSeconds, log } = this.o;
    if (intervalSeconds <= 0) return;
    this.worker = await boss.work<SweepJob>(QUEUES.smokeSweep.name, { pollingIntervalSeconds: Math.max(0.5, pollSeconds), batchSize: 1 }, async ([job]) => this.onJob(job.data));
    await this.scheduleNext();
    this.reseed = setInterval(() => void this.scheduleNext().catch((err) => log.warn({ err }, 'queueing the next smoke run failed')), Math.min(60, intervalSeconds) * 1000);
    this.reseed.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.reseed);
    if (this.worker) await this.o.boss.offWork({ id: this.worker }).catch(() => {});
    this.worker = null;
  }

  /** Queue the run of the next period, unless one already waits. */
  private async scheduleNext(): Promise<void> {
    const interval = this.o.intervalSeconds;
    const res = (await this.o.db.execute(sql`SELECT extract(epoch FROM now())::float8 AS t`)) as unknown as { rows: { t: number }[] };
    const slot = Math.floor(Number(res.rows[0].t) / interval) + 1;
    await this.o.boss.send(QUEUES.smokeSweep.name, { slot, intervalSeconds: interval } satisfies SweepJob, {
      singletonKey: `every-${interval}s`,
      startAfter: new Date(slot * interval * 1000),
      retryLimit: QUEUES.smokeSweep.retryLimit,
    });
  }

  private async onJob(job: SweepJob): Promise<SweepReport | null> {
    // A run queued under another interval setting (before a restart): its chain ends here.
    if (job.intervalSeconds !== this.o.intervalSeconds) return null;
    await this.scheduleNext();
    return this.sweep(job.slot);
  }

  /** Smoke-test every running, connected instance once; each result is an event. */
  async sweep(slot: number): Promise<SweepReport> {
    const { ops, log } = this.o;
    const report: SweepReport = { slot, passed: 0, failed: 0, skipped: 0 };
    const one = async (id: string) => {
      try {
        const { result } = await ops.smoke(id, SMOKE_TIMER_ACTOR, { trigger: 'timer', slot });
        if (result.ok && (result.data as { result?: string }).result === 'pass') report.passed++;
        else report.failed++;
      } catch (err) {
        if (err instanceof ConflictError) report.skipped++; // disconnected or stopped meanwhile
        else if (err instanceof HangarError && err.type === 'agent-timeout') report.failed++;
        else {
          report.skipped++;
          log.warn({ err, instanceId: id }, 'timed smoke test failed to run');
        }
      }
    };
    await ops.eachConnected((row) => one(row.id), this.o.concurrency ?? 8);
    log.info({ report }, 'smoke run');
    return report;
  }
}
