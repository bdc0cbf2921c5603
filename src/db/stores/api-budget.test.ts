import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import type { BudgetPolicy } from '../../domain/api-budget.ts';
import { openDatabase, type Database } from '../client.ts';
import { DbApiBudgetStore } from './api-budget.ts';

const HZ: BudgetPolicy = { vendor: 'hetzner', reset: 'full', initial: { limit: 3600, windowMs: 3600_000 } };
const T0 = Date.UTC(2026, 0, 1);

let a: Database;
let b: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('api_budget_store');
  drop = db.drop;
  a = await openDatabase({ url: db.url });
  // A second replica: its own connection on PostgreSQL (PGlite has one database per process).
  b = db.url ? await openDatabase({ url: db.url }) : a;
});
afterAll(async () => {
  if (b !== a) await b?.close();
  await a?.close();
  await drop?.();
});

describe('the shared API budget in the database', () => {
  it('two replicas spend one bucket: 40 racing takes get exactly the 10 tokens left', async () => {
    const one = new DbApiBudgetStore(a.db);
    const two = new DbApiBudgetStore(b.db);
    const key = 'hetzner:race';
    // Learn the budget: 10 left, and a reset an hour away (refill negligible at a frozen `now`).
    expect((await one.take(key, 'urgent', T0, HZ)).granted).toBe(true);
    await one.settle(key, T0, { status: 200, headers: { limit: 3600, remaining: 10, resetAt: T0 + 3_600_000, retryAfterMs: null } }, HZ);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).take(key, 'urgent', T0, HZ)));
    expect(results.filter((r) => r.granted)).toHaveLength(10);
    const refused = results.find((r) => !r.granted)!;
    expect(refused.retryAt).toBeGreaterThan(T0);
    const [row] = (await one.list()).filter((r) => r.key === key);
    expect(row.state.inFlight).toBe(10);
    expect(row.state.granted.urgent).toBe(11);
    expect(row.vendor).toBe('hetzner');
  });

  it('a 429 seen by one replica holds the other back until retry-after', async () => {
    const one = new DbApiBudgetStore(a.db);
    const two = new DbApiBudgetStore(b.db);
    const key = 'hetzner:limited';
    expect((await one.take(key, 'urgent', T0, HZ)).granted).toBe(true);
    await one.settle(key, T0 + 5, { status: 429, headers: { limit: 3600, remaining: 0, resetAt: T0 + 3_600_000, retryAfterMs: 3000 } }, HZ);
    expect(await two.take(key, 'urgent', T0 + 1000, HZ)).toEqual({ granted: false, retryAt: T0 + 3005 });
    expect((await two.take(key, 'urgent', T0 + 3005, HZ)).granted).toBe(true);
  });

  it('forgets the calls a dead process left in flight, so the next probe goes at once', async () => {
    const store = new DbApiBudgetStore(a.db);
    const key = 'hetzner:killed';
    // The probe is granted, then its process dies before the answer: the bucket waits for it.
    expect((await store.take(key, 'urgent', T0, HZ)).granted).toBe(true);
    expect((await store.take(key, 'urgent', T0 + 1000, HZ)).granted).toBe(false);
    await store.forgetInFlight();
    expect((await store.list()).find((r) => r.key === key)!.state.inFlight).toBe(0);
    expect((await store.take(key, 'urgent', T0 + 1000, HZ)).granted).toBe(true);
  });
});
