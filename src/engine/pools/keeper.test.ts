/**
 * Warm pools ↔ budgets: the keeper refills a pool only while the project's budgets allow, with
 * the budgets feature's own ledger (reservation and projection) on a real database.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import { openDatabase, type Database } from '../../db/client.ts';
import { instances } from '../../db/schema.ts';
import { DbBudgetStore } from '../../db/stores/budgets.ts';
import { costs } from '../budgets.ts';
import type { EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';
import { budgetGate, PoolKeeper, type PoolEngine } from './keeper.ts';
import { PoolStore, type PoolRow } from './store.ts';

let database: Database;
let drop: () => Promise<void>;
let ledger: DbBudgetStore;
let pools: PoolStore;
beforeAll(async () => {
  const t = await testDatabase('pool_keeper_budget');
  drop = t.drop;
  database = await openDatabase({ url: t.url });
  ledger = new DbBudgetStore(database.db);
  pools = new PoolStore(database.db);
}, 60_000);
afterAll(async () => {
  await database?.close();
  await drop?.();
});

/** The engine side of a refill: insert the member and reserve its price (4 EUR a month) the way create does. */
function engine(): PoolEngine & { creates: number } {
  const e = {
    creates: 0,
    async createPoolMember(pool: PoolRow): Promise<InstanceRow> {
      e.creates++;
      const id = randomUUID();
      const now = new Date();
      return database.db.transaction(async (tx) => {
        const [row] = await tx.insert(instances).values({ id, name: `m-${id.slice(0, 8)}`, serverName: `hangar-m-${id.slice(0, 8)}`, provider: pool.provider, workload: pool.workload, labels: {}, status: 'pending', connection: 'connecting', project: pool.project, poolId: pool.id }).returning();
        await ledger.reserve(tx, { instanceId: id, project: pool.project, provider: pool.provider, price: { hourly: 1, monthly: 4, currency: 'EUR' }, cost: 4, now });
        return row;
      });
    },
    async destroy() {},
    store: { async event() {} },
  };
  return e;
}

const gate = budgetGate((project) => costs({ ledger } as unknown as EngineResources, project));
const keeper = (e: PoolEngine) => new PoolKeeper({ engine: e, pools, db: database.db, replicaId: 'r1', log: pino({ level: 'silent' }), intervalSeconds: 10, budgetAllows: gate });

describe('PoolKeeper with the budgets', () => {
  it('stops refilling at the budget: the member that would pass the cap is refused and the pass goes on', async () => {
    await ledger.setBudget('default', { monthly: 10, currency: 'EUR' }, 'test');
    const pool = await pools.put('default', 'warm', { provider: 'hetzner', serverType: 'cpx22', location: 'nbg1', workload: 'openclaw', ready: 3 });
    const e = engine();
    expect(await keeper(e).runOnce()).toMatchObject({ created: 2 }); // 2 × 4 EUR fit in 10; a third would make 12
    expect(await pools.members(pool.id)).toHaveLength(2);
    expect(e.creates).toBe(3);
  });

  it('asks the budget before creating: at or past the cap, no member is even attempted', async () => {
    await ledger.setBudget('default', { monthly: 8, currency: 'EUR' }, 'test');
    const pool = (await pools.get('default', 'warm'))!;
    expect(await gate(pool)).toBe(false);
    const e = engine();
    expect(await keeper(e).runOnce()).toMatchObject({ created: 0 });
    expect(e.creates).toBe(0);
    // The budget raised: the pool fills up.
    await ledger.setBudget('default', { monthly: 100, currency: 'EUR' }, 'test');
    expect(await gate(pool)).toBe(true);
    expect(await keeper(e).runOnce()).toMatchObject({ created: 1 });
    expect(await pools.members(pool.id)).toHaveLength(3);
  });
});
