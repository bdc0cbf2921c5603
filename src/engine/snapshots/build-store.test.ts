import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceEvents } from '../../db/schema.ts';
import { IllegalTransitionError } from '../../domain/errors.ts';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { BuildStore } from './build-store.ts';

let f: EngineFixture;
let store: BuildStore;
beforeAll(async () => {
  f = await engineFixture('build-store');
  store = new BuildStore(f.database.db);
});
afterAll(async () => {
  await f?.close();
});

const newBuild = () => store.insert({ provider: 'hetzner', bootstrapVersion: 'v1-test', buildTokenHash: 'ab'.repeat(32) }, { message: 'requested' });

describe('snapshot builds in the one event log', () => {
  it('every status change and note is an event row of the build, in order, with the status after it', async () => {
    const b = await newBuild();
    await store.note(b.id, { message: 'builder server 7 created' });
    await store.transition(b.id, { type: 'builder_created' }, { message: 'waiting' }, { serverId: '7' });
    await store.note(b.id, { actor: 'builder', message: 'builder reported ready' }, { readyAt: new Date(), readyOk: true });
    await store.transition(b.id, { type: 'builder_ready' }, { message: 'imaging' });
    await store.note(b.id, { kind: 'warning', message: 'imaging failed (attempt 1, will retry)' });
    await store.transition(b.id, { type: 'imaged' }, { message: 'done' }, { imageId: '99' });
    const [build] = await store.withEvents([await store.get(b.id)]);
    expect(build).toMatchObject({ status: 'done', serverId: '7', imageId: '99', readyOk: true });
    expect(build.events.map(({ status, message }) => [status, message])).toEqual([
      ['pending', 'requested'],
      ['pending', 'builder server 7 created'],
      ['building', 'waiting'],
      ['building', 'builder reported ready'],
      ['imaging', 'imaging'],
      ['imaging', 'imaging failed (attempt 1, will retry)'],
      ['done', 'done'],
    ]);
    for (const e of build.events) expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const rows = await f.database.db.select().from(instanceEvents).where(sql`${instanceEvents.snapshotBuildId} = ${b.id}`).orderBy(instanceEvents.id);
    expect(rows.map((r) => [r.kind, r.actor, r.fromStatus, r.toStatus])).toEqual([
      ['transition', 'api', null, 'pending'],
      ['info', 'engine', null, 'pending'],
      ['transition', 'engine', 'pending', 'building'],
      ['info', 'builder', null, 'building'],
      ['transition', 'engine', 'building', 'imaging'],
      ['warning', 'engine', null, 'imaging'],
      ['transition', 'engine', 'imaging', 'done'],
    ]);
    expect(rows.every((r) => r.instanceId === null)).toBe(true);
  });

  it('an illegal transition is a typed error and writes nothing', async () => {
    const b = await newBuild();
    await expect(store.transition(b.id, { type: 'imaged' }, { message: 'skip ahead' }, { imageId: '1' })).rejects.toBeInstanceOf(IllegalTransitionError);
    const [build] = await store.withEvents([await store.get(b.id)]);
    expect(build).toMatchObject({ status: 'pending', imageId: null });
    expect(build.events.map((e) => e.message)).toEqual(['requested']);
    const failed = await store.transition(b.id, { type: 'fail', reason: 'no capacity' }, { message: 'failed: no capacity' });
    expect(failed).toMatchObject({ status: 'failed', error: 'no capacity' });
    await expect(store.transition(b.id, { type: 'fail', reason: 'again' }, { message: 'again' })).rejects.toThrow(/cannot apply fail to a snapshot build that is failed/);
    expect(await store.unfinished()).not.toContain(b.id);
  });

  it("instance event queries never see a build's events, and the log's ids keep increasing across both", async () => {
    const { row } = await f.instance();
    const b = await newBuild();
    await store.note(b.id, { message: 'between' });
    await f.store.event(row.id, { actor: 'test', kind: 'info', reason: 'after' });
    const mine = await f.store.events(row.id);
    expect(mine.map((e) => e.reason)).toEqual(['instance requested', 'provisioning started', 'after']);
    const all = await f.store.allEvents({ limit: 10_000 });
    expect(all.every((e) => e.instanceId !== null)).toBe(true);
    expect(all.some((e) => e.reason === 'between')).toBe(false);
    const ids = mine.map((e) => e.id);
    expect([...ids].sort((a, c) => a - c)).toEqual(ids);
    const [between] = (await store.withEvents([await store.get(b.id)]))[0].events.slice(-1);
    expect(between.message).toBe('between');
  });

  it('a row of the log is about exactly one subject (check constraint)', async () => {
    const { row } = await f.instance();
    const b = await newBuild();
    await expect(f.database.db.insert(instanceEvents).values({ actor: 'test', kind: 'info' })).rejects.toThrow();
    await expect(f.database.db.insert(instanceEvents).values({ instanceId: row.id, snapshotBuildId: b.id, actor: 'test', kind: 'info' })).rejects.toThrow();
  });
});
