import { sql } from 'drizzle-orm';
import type { EngineResources } from '../resources.ts';
import { QUEUES } from '../queue.ts';

/** What readiness found: each dependency up or down. */
export interface Readiness {
  ok: boolean;
  database: 'up' | 'down';
  queue: 'up' | 'down';
}

/**
 * Whether this process can do its work: the database answers a query, and the job queue
 * (pg-boss, on the same database) answers for its provision queue. Each check is bounded.
 *
 * @example
 * const s = await readiness(r); // { ok: true, database: 'up', queue: 'up' }
 */
export async function readiness(r: Pick<EngineResources, 'store' | 'boss'>, timeoutMs = 2000): Promise<Readiness> {
  const within = async (check: () => Promise<boolean>): Promise<'up' | 'down'> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return (await Promise.race([check(), timeout])) ? 'up' : 'down';
    } catch {
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  };
  const [database, queue] = await Promise.all([
    within(async () => (await r.store.db.execute(sql`select 1`), true)),
    within(async () => (await r.boss.getQueue(QUEUES.provision.name)) !== null),
  ]);
  return { ok: database === 'up' && queue === 'up', database, queue };
}
