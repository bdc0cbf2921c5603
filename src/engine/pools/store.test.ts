import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import { openDatabase, type Database } from '../../db/client.ts';
import { instances } from '../../db/schema.ts';
import { failuresInRow } from './keeper.ts';
import { PoolStore, isWarm } from './store.ts';

let a: Database;
let b: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('pool_store');
  drop = db.drop;
  a = await openDatabase({ url: db.url });
  // A second replica: its own connection pool on PostgreSQL (PGlite is one database per process).
  b = db.url ? await openDatabase({ url: db.url }) : a;
});
afterAll(async () => {
  if (b !== a) await b?.close();
  await a?.close();
  await drop?.();
});

/** An unclaimed member row of `poolId`. */
async function member(db: Database, poolId: string, over: Partial<typeof instances.$inferInsert> = {}) {
  const id = randomUUID();
  await db.db.insert(instances).values({ id, name: `m-${id.slice(0, 8)}`, serverName: `hangar-m-${id.slice(0, 8)}`, provider: 'hetzner', workload: 'openclaw', labels: {}, status: 'provisioning', step: 'network', connection: 'connected', poolId, ...over });
  return id;
}

const claimSet = (name: string) => ({ name, workloadConfig: { model: 'x' }, secretsSealed: null, onFailure: 'destroy', connectTimeoutSeconds: 600 });
const match = { project: 'default', provider: 'hetzner', serverType: 'cpx22', location: 'nbg1', workload: 'openclaw' };

describe('PoolStore', () => {
  it('claims each warm member exactly once across two replicas racing 12 creates', async () => {
    const one = new PoolStore(a.db);
    const two = new PoolStore(b.db);
    const pool = await one.put('default', 'race', { provider: 'hetzner', serverType: 'cpx22', location: 'nbg1', workload: 'openclaw', ready: 3 });
    const ids = [await member(a, pool.id), await member(a, pool.id), await member(a, pool.id)];
    await member(a, pool.id, { connection: 'connecting', step: 'boot' }); // still booting: not claimable
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).claim(match, claimSet(`c${i}`))));
    const won = results.filter((r) => r !== null);
    expect(won).toHaveLength(3);
    expect(new Set(won.map((r) => r!.member.id))).toEqual(new Set(ids));
    for (const r of won) {
      expect(r!.member.poolClaimedAt).not.toBeNull();
      expect(r!.member.workloadConfig).toEqual({ model: 'x' });
      expect(r!.pool.name).toBe('race');
    }
    const [view] = (await one.list('default')).filter((p) => p.name === 'race');
    expect([view.warm, view.starting]).toEqual([0, 1]);
  });

  it('matches provider, type, location and workload exactly, and never a paused pool', async () => {
    const s = new PoolStore(a.db);
    const pool = await s.put('default', 'exact', { provider: 'hetzner', serverType: null, location: null, workload: 'process', ready: 1 });
    await member(a, pool.id, { workload: 'process' });
    expect(await s.claim({ ...match, workload: 'process', serverType: 'cpx22', location: null }, claimSet('x'))).toBeNull();
    expect(await s.claim({ ...match, project: 'other', workload: 'process', serverType: null, location: null }, claimSet('x'))).toBeNull();
    expect(await s.pause(pool.id, 'broken')).toBe(true);
    expect(await s.pause(pool.id, 'again')).toBe(false);
    expect(await s.claim({ ...match, workload: 'process', serverType: null, location: null }, claimSet('x'))).toBeNull();
    // PUT again resumes it (the operator looked).
    await s.put('default', 'exact', { provider: 'hetzner', serverType: null, location: null, workload: 'process', ready: 1 });
    expect(await s.claim({ ...match, workload: 'process', serverType: null, location: null }, claimSet('x'))).not.toBeNull();
  });

  it('counts failures in a row from the newest member, skipping those still booting', () => {
    const m = (failureReason: string | null, connection = 'connected', status = 'failed', agentId: string | null = null) => ({ failureReason, connection, status, poolClaimedAt: null, agentId });
    expect(failuresInRow([m('a'), m('b'), m('c')])).toBe(3);
    expect(failuresInRow([m(null, 'connecting', 'provisioning'), m('a'), m('b'), m('c')])).toBe(3);
    expect(failuresInRow([m('a'), m(null, 'connected', 'provisioning'), m('b'), m('c')])).toBe(1);
    expect(failuresInRow([])).toBe(0);
    expect(isWarm({ status: 'provisioning', connection: 'connected', poolClaimedAt: null })).toBe(true);
  });
});
