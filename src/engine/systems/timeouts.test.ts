import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { listAudit } from '../audit.ts';
import { QUEUES } from '../queue.ts';
import { engineResources, type EngineResources } from '../resources.ts';
import { connectTimeoutStep, stateOfStep } from './timeouts.ts';

let f: EngineFixture;
let r: EngineResources;
beforeAll(async () => {
  f = await engineFixture('timeouts-system', { stateTimeouts: { booting: 5, configuring: 3600 } });
  r = engineResources(f.deps);
});
afterAll(async () => {
  await f?.close();
});

/** Pretend the instance entered its current state `seconds` ago. */
const enteredAgo = (id: string, seconds: number) => f.database.db.execute(sql`UPDATE instance_events SET at = now() - make_interval(secs => ${seconds}) WHERE instance_id = ${id}`);

describe('stateOfStep', () => {
  it('maps each step to the state whose timeout bounds it', () => {
    expect(['create_server', 'boot', 'enroll', 'network', 'configure', 'workload', null].map((s) => stateOfStep(s as never))).toEqual(['creating', 'booting', 'enrolling', 'enrolling', 'configuring', 'configuring', null]);
  });
});

describe('connectTimeoutStep', () => {
  it('fails an instance stuck in a state past its bound, marks the connection timed out and tears it down (onFailure=destroy)', async () => {
    const { row } = await f.instance({ steps: ['boot'] });
    await enteredAgo(row.id, 10);
    await connectTimeoutStep(r, row.id);
    const after = await f.store.get(row.id);
    expect(after).toMatchObject({ status: 'stopping', connection: 'timeout', failureReason: 'stuck booting (at boot) for more than 5s' });
    const transitions = (await f.store.events(row.id)).filter((e) => e.kind === 'transition').map((e) => [e.toStatus, e.actor]);
    expect(transitions.slice(-2)).toEqual([['failed', 'timeout'], ['stopping', 'timeout']]);
    expect((await f.jobs(QUEUES.teardown.name)).map((j) => j.singletonKey)).toContain(row.id);
    // An automatic action: one audit row by the system, with the reason.
    expect(await listAudit(f.database.db, { object: `instance:${row.id}` })).toEqual([expect.objectContaining({ actor: 'system:timeout', actorKind: 'system', action: 'instance.timeout', outcome: 'ok', reason: 'stuck booting (at boot) for more than 5s' })]);
  });

  it('before the deadline it changes nothing and wakes again at the state deadline', async () => {
    const { row } = await f.instance({ steps: ['boot'], onFailure: 'keep' });
    await connectTimeoutStep(r, row.id);
    expect(await f.store.get(row.id)).toMatchObject({ status: 'provisioning', step: 'boot', connection: 'connecting' });
    const [job] = (await f.jobs(QUEUES.connectTimeout.name)).filter((j) => j.singletonKey.startsWith(`${row.id}@`));
    expect(job).toBeDefined();
    const entered = (await f.store.lastTransitionAt(row.id))!.getTime();
    expect(Math.abs(job.startAfter.getTime() - (entered + 5000))).toBeLessThan(1500);
  });

  it('a connected agent past the connect timeout fails as not ready, its connection untouched (onFailure=keep keeps it)', async () => {
    const { row } = await f.instance({ steps: ['boot', 'enroll', 'network', 'configure'], onFailure: 'keep', set: { connection: 'connected', connectTimeoutSeconds: 60 } });
    await f.database.db.execute(sql`UPDATE instances SET created_at = now() - interval '2 minutes' WHERE id = ${row.id}`);
    await connectTimeoutStep(r, row.id);
    expect(await f.store.get(row.id)).toMatchObject({ status: 'failed', connection: 'connected', failureReason: 'instance did not become ready within 60s (stuck at configure)' });
  });

  it('leaves an instance that is no longer provisioning alone', async () => {
    const { row } = await f.instance({ steps: ['boot'] });
    await f.store.transition(row.id, { type: 'destroy' }, { actor: 'test', reason: 'gone' });
    await enteredAgo(row.id, 10);
    await connectTimeoutStep(r, row.id);
    expect(await f.store.get(row.id)).toMatchObject({ status: 'stopping', connection: 'connecting', failureReason: null });
  });
});
