import PgBoss from 'pg-boss';
import type { SqlExecutor } from '../db/client.ts';

/** The durable queues and each step's bounds (retries with backoff, a timeout per attempt). */
export const QUEUES = {
  provision: { name: 'instance.provision', retryLimit: 8, retryDelay: 2, expireInSeconds: 180 },
  teardown: { name: 'instance.teardown', retryLimit: 20, retryDelay: 2, expireInSeconds: 180 },
  connectTimeout: { name: 'instance.connect-timeout', retryLimit: 5, retryDelay: 2, expireInSeconds: 60 },
} as const;
export type QueueName = keyof typeof QUEUES;

export interface JobData {
  instanceId: string;
}

/**
 * Start pg-boss on our own connection (PGlite or the node-postgres pool), so the same queue
 * tables and semantics serve the embedded default and production.
 */
export async function startQueue(db: SqlExecutor, onError: (e: Error) => void, opts: { exclusive?: boolean } = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    db: { executeSql: (text, values) => db.executeSql(text, values) },
    schema: 'pgboss',
    supervise: true,
    schedule: false,
    maintenanceIntervalSeconds: 10,
  });
  boss.on('error', onError);
  await boss.start();
  if (opts.exclusive) await recoverOrphanedJobs(db);
  for (const q of Object.values(QUEUES)) {
    await boss.createQueue(q.name, { name: q.name, policy: 'stately', retryLimit: q.retryLimit, retryDelay: q.retryDelay, retryBackoff: true, expireInSeconds: q.expireInSeconds });
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
    expireInSeconds: q.expireInSeconds,
    singletonKey: instanceId,
    ...(opts.startAfter !== undefined ? { startAfter: opts.startAfter } : {}),
  });
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
  await db.executeSql(failByTimeout);
}
