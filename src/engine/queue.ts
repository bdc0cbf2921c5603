import PgBoss from 'pg-boss';
import type { SqlExecutor } from '../db/client.ts';

/** The durable queues and each step's bounds (retries with backoff, a timeout per attempt). */
export const QUEUES = {
  provision: { name: 'instance.provision', retryLimit: 8, retryDelay: 2, expireInSeconds: 180 },
  teardown: { name: 'instance.teardown', retryLimit: 20, retryDelay: 2, expireInSeconds: 180 },
  connectTimeout: { name: 'instance.connect-timeout', retryLimit: 5, retryDelay: 2, expireInSeconds: 60 },
  /** Stop (power off → image → delete) and the start-side steps of a kept server or a used image. */
  hibernate: { name: 'instance.hibernate', retryLimit: 20, retryDelay: 2, expireInSeconds: 600 },
  /** The lifetime timer: one job per instance and wake-up time, at its next TTL or idle deadline. */
  lifetime: { name: 'instance.lifetime', retryLimit: 5, retryDelay: 2, expireInSeconds: 120 },
  /** One job per snapshot build (singleton key: the build id); each run advances it one or more steps. */
  snapshotBuild: { name: 'snapshot.build', retryLimit: 8, retryDelay: 2, expireInSeconds: 300 },
  /** The periodic smoke test: one job per period (singleton key: the interval), never retried; its own lease. */
  smokeSweep: { name: 'smoke.sweep', retryLimit: 0, retryDelay: 0, expireInSeconds: 3600, ownLease: true },
} as const;
export type QueueName = keyof typeof QUEUES;

export interface JobData {
  instanceId: string;
}

/**
 * Start pg-boss on our own connection (PGlite or the node-postgres pool), so the same queue
 * tables and semantics serve the embedded default and production.
 */
export async function startQueue(db: SqlExecutor, onError: (e: Error) => void, opts: { exclusive?: boolean; leaseSeconds?: number } = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    db: {
      // After shutdown closed the database, a worker still finishing its loop has nothing to
      // record: its job is recovered by expiry (or at the next embedded start). Not an error.
      executeSql: async (text, values) => {
        try {
          return await db.executeSql(capRetryBackoff(text), values);
        } catch (err) {
          // Never settle: pg-boss would read fields of an empty result, and nothing awaits it.
          if (/PGlite is closed|Client was closed|Cannot use a pool after calling end/i.test(String((err as Error)?.message))) return new Promise<never>(() => {});
          throw err;
        }
      },
    },
    schema: 'pgboss',
    supervise: true,
    schedule: false,
    maintenanceIntervalSeconds: 10,
  });
  boss.on('error', onError);
  await boss.start();
  if (opts.exclusive) await recoverOrphanedJobs(db);
  for (const q of Object.values(QUEUES)) {
    // The expiry is the job's lease: a replica that dies mid-step loses the job after it.
    const settings = { name: q.name, policy: 'stately' as const, retryLimit: q.retryLimit, retryDelay: q.retryDelay, retryBackoff: true, expireInSeconds: 'ownLease' in q ? q.expireInSeconds : (opts.leaseSeconds ?? q.expireInSeconds) };
    await boss.createQueue(q.name, settings);
    await boss.updateQueue(q.name, settings);
  }
  return boss;
}

/** Enqueue one step for an instance; the singleton key keeps one live job per instance and queue. */
export async function enqueue(boss: PgBoss, queue: QueueName, instanceId: string, opts: { startAfter?: number | Date } = {}): Promise<string | null> {
  const q = QUEUES[queue];
  return boss.send(q.name, { instanceId } satisfies JobData, {
    retryLimit: q.retryLimit,
    retryDelay: q.retryDelay,
    retryBackoff: true,
    // One live job per instance and queue; timeout watchers are keyed by their wake-up time too,
    // so an earlier deadline (a new state's) can be scheduled while a later one waits.
    singletonKey: (queue === 'connectTimeout' || queue === 'lifetime') && opts.startAfter !== undefined ? `${instanceId}@${wakeAt(opts.startAfter)}` : instanceId,
    ...(opts.startAfter !== undefined ? { startAfter: opts.startAfter } : {}),
  });
}

/** A start-after as whole epoch seconds (a number means seconds from now, as pg-boss reads it). */
function wakeAt(startAfter: number | Date): number {
  return Math.round((typeof startAfter === 'number' ? Date.now() + startAfter * 1000 : startAfter.getTime()) / 1000);
}

/**
 * Embedded mode holds the data dir's lock, so any job still `active` belongs to a process that
 * died: hand it back to pg-boss's own timeout path now (retry with backoff, counting the
 * attempt) instead of waiting out its expiry.
 */
async function recoverOrphanedJobs(db: SqlExecutor): Promise<void> {
  // @ts-expect-error pg-boss ships no types for its SQL plans
  const plans = (await import('pg-boss/src/plans.js')) as { failJobsByTimeout(schema: string): string; default?: unknown };
  const failByTimeout = (plans.failJobsByTimeout ?? (plans.default as typeof plans).failJobsByTimeout)('pgboss');
  await db.executeSql(`UPDATE pgboss.job SET started_on = now() - expire_in - interval '1 second' WHERE state = 'active'`);
  await db.executeSql(capRetryBackoff(failByTimeout));
}

/**
 * The largest exponent of a retry's backoff. pg-boss 10 waits retryDelay · 2^min(16, n+1) / 2
 * (jittered up to twice that) before attempt n+1, so a teardown that failed ten times would wait
 * half an hour, and fifteen times, a day: a step that keeps failing (a cloud outage, a run of
 * crashes) must be retried within a minute of the cause going away. With retryDelay 2 s the cap
 * is 32–64 s.
 */
export const RETRY_BACKOFF_MAX_EXPONENT = 5;
const PGBOSS_BACKOFF = /2 \^ LEAST\(16, retry_count \+ 1\)/g;

/**
 * pg-boss's SQL with its retry backoff capped at 2^RETRY_BACKOFF_MAX_EXPONENT (pg-boss 10 has no
 * setting for it); any other statement unchanged.
 *
 * @example
 * capRetryBackoff('… retry_delay * 2 ^ LEAST(16, retry_count + 1) / 2 …') // → '… 2 ^ LEAST(5, retry_count + 1) …'
 */
export function capRetryBackoff(text: string): string {
  return text.includes('retry_backoff') ? text.replace(PGBOSS_BACKOFF, `2 ^ LEAST(${RETRY_BACKOFF_MAX_EXPONENT}, retry_count + 1)`) : text;
}
