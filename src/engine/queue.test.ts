import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error pg-boss ships no types for its SQL plans
import * as plans from 'pg-boss/src/plans.js';
import { openDatabase } from '../db/client.ts';
import { testDatabase } from '../../test/helpers/db.ts';
import { capRetryBackoff, QUEUES, RETRY_BACKOFF_MAX_EXPONENT, startQueue } from './queue.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('retry backoff', () => {
  it("rewrites the backoff in the pg-boss version we run (a pg-boss upgrade that changes its SQL fails here)", () => {
    const fail = (plans as { failJobsById(schema: string): string }).failJobsById('pgboss');
    expect(fail).toContain('LEAST(16, retry_count + 1)');
    expect(capRetryBackoff(fail)).not.toContain('LEAST(16');
    expect(capRetryBackoff(fail)).toContain(`LEAST(${RETRY_BACKOFF_MAX_EXPONENT}, retry_count + 1)`);
    expect(capRetryBackoff('SELECT 1')).toBe('SELECT 1');
  });

  it('a step that failed many times is retried within 64 s, not after hours', async () => {
    const t = await testDatabase('queue_backoff');
    const database = await openDatabase({ url: t.url });
    const boss = await startQueue(database, () => {});
    cleanups.push(t.drop, () => database.close(), () => boss.stop({ graceful: false, wait: true }));
    const q = QUEUES.teardown;
    const id = (await boss.send(q.name, { instanceId: 'i-1' }, { retryLimit: q.retryLimit, retryDelay: q.retryDelay, retryBackoff: true }))!;
    // As if it had failed 12 times already: pg-boss alone would wait 2·2^13/2 s ≈ 2.3–4.6 h.
    await database.executeSql(`UPDATE pgboss.job SET retry_count = 12 WHERE id = $1`, [id]);
    const [job] = await boss.fetch(q.name);
    expect(job.id).toBe(id);
    await boss.fail(q.name, id, new Error('cloud outage'));
    const rows = (await database.executeSql(`SELECT state, extract(epoch FROM start_after - now())::float AS wait FROM pgboss.job WHERE id = $1`, [id])) as { rows: { state: string; wait: number }[] };
    expect(rows.rows[0].state).toBe('retry');
    expect(rows.rows[0].wait).toBeGreaterThan(30);
    expect(rows.rows[0].wait).toBeLessThanOrEqual(65);
  });
});
