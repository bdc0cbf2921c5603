import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { QUEUES } from '../queue.ts';
import { readiness } from './health.ts';

let f: EngineFixture;
beforeAll(async () => {
  f = await engineFixture('health-system');
});
afterAll(async () => {
  await f?.close();
});

describe('readiness', () => {
  it('is up when the database and the job queue answer', async () => {
    expect(await readiness(f)).toEqual({ ok: true, database: 'up', queue: 'up' });
  });

  it('says the queue is down when pg-boss does not know its queue, the database still up', async () => {
    await f.boss.deleteQueue(QUEUES.provision.name);
    try {
      expect(await readiness(f)).toEqual({ ok: false, database: 'up', queue: 'down' });
    } finally {
      const q = QUEUES.provision;
      await f.boss.createQueue(q.name, { name: q.name, policy: 'stately', retryLimit: q.retryLimit, retryDelay: q.retryDelay, retryBackoff: true, expireInSeconds: q.expireInSeconds });
    }
    expect((await readiness(f)).ok).toBe(true);
  });

  it('bounds each check: a database that never answers is down within the timeout', async () => {
    const stuck = { store: { db: { execute: () => new Promise(() => {}) } }, boss: f.boss } as unknown as Parameters<typeof readiness>[0];
    const t0 = Date.now();
    expect(await readiness(stuck, 300)).toEqual({ ok: false, database: 'down', queue: 'up' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
