import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.ts';
import { testDatabase } from '../../../test/helpers/db.ts';
import { WebhookStore, type ClaimedDelivery } from './store.ts';

let database: Database;
let drop: () => Promise<void>;
let store: WebhookStore;
const key = randomBytes(32);

beforeAll(async () => {
  const t = await testDatabase('webhook_store');
  drop = t.drop;
  database = await openDatabase({ url: t.url });
  store = new WebhookStore(database.db, key);
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

const instance = async (name: string): Promise<string> =>
  (await database.executeSql(`INSERT INTO instances (name, server_name, provider, workload, labels) VALUES ('${name}', 'hangar-${name}', 'local', 'process', '{}') RETURNING id`)).rows[0].id;
const event = (id: string, cols: string, vals: string) => database.executeSql(`INSERT INTO instance_events (instance_id, actor, ${cols}) VALUES ('${id}', 'test', ${vals})`);
const types = async (endpointId: string) => (await store.deliveries(endpointId, 200)).map((d) => d.eventType).reverse();
const ok = { statusCode: 204, error: null, latencyMs: 1 };
const claimAll = (now = new Date()) => store.claim({ now, limit: 100, leaseMs: 10_000 });

describe('the instance_events trigger', () => {
  it('maps event-log rows onto webhook events, for subscribed endpoints of the project only', async () => {
    const all = await store.createEndpoint({ project: 'default', url: 'https://a.example', events: ['*'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const some = await store.createEndpoint({ project: 'default', url: 'https://b.example', events: ['instance.failed'], format: 'slack', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const other = await store.createEndpoint({ project: 'other', url: 'https://c.example', events: ['*'], format: 'json', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const id = await instance('mapped');
    await event(id, 'kind, to_status', `'transition', 'pending'`);
    await event(id, 'kind, from_status, to_status, step', `'transition', 'provisioning', 'provisioning', 'boot'`); // a step: none
    await event(id, 'kind, from_status, to_status', `'connection', 'connecting', 'connected'`);
    await event(id, 'kind, from_status, to_status', `'connection', 'connected', 'disconnected'`);
    await event(id, 'kind, from_status, to_status', `'connection', 'disconnected', 'connected'`);
    await event(id, 'kind, data', `'info', '{"command":"smoke","result":"fail"}'`);
    await event(id, 'kind, data', `'info', '{"command":"smoke","result":"pass"}'`); // passed: none
    await event(id, 'kind, data', `'warning', '{"orphan":"found"}'`);
    await event(id, 'kind, data', `'warning', '{"orphan":"deleted"}'`);
    await event(id, 'kind, data', `'warning', '{"update":"rolled-back"}'`);
    await event(id, 'kind', `'idle_stop'`);
    await event(id, 'kind', `'ttl_expired'`);
    await event(id, 'kind', `'budget_warning'`);
    await event(id, 'kind, reason', `'log', 'a line'`); // none
    await event(id, 'kind, from_status, to_status', `'transition', 'provisioning', 'failed'`);
    expect(await types(all.id)).toEqual([
      'instance.pending', 'instance.connected', 'instance.connection_lost', 'instance.connection_back', 'instance.smoke_failed',
      'orphan.found', 'orphan.deleted', 'release.rolled_back', 'instance.idle_stopped', 'instance.ttl_expired', 'budget.warning', 'instance.failed',
    ]);
    expect(await types(some.id)).toEqual(['instance.failed']);
    expect(await types(other.id)).toEqual([]);
    const [failed] = await store.deliveries(some.id);
    expect(failed.payload).toMatchObject({ type: 'instance.failed', data: { instance: { id, name: 'mapped', project: 'default' }, event: { from: 'provisioning', to: 'failed' } } });
    // Another project's endpoint is absent here.
    expect(await store.endpoint('default', other.id)).toBeUndefined();
    expect(await store.removeEndpoint('default', other.id)).toBe(false);
    expect((await store.endpoint('other', other.id))?.id).toBe(other.id);
    for (const e of [all, some, other]) await store.removeEndpoint(e.project, e.id);
  });
});

describe('claiming', () => {
  it('hands out one delivery per endpoint and instance at a time, in order; a lapsed lease is claimable again', async () => {
    const ep = await store.createEndpoint({ project: 'default', url: 'https://a.example', events: ['instance.connection_lost', 'instance.connection_back'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const [a, b] = [await instance('a'), await instance('b')];
    for (const id of [a, b]) {
      await event(id, 'kind, from_status, to_status', `'connection', 'connected', 'disconnected'`);
      await event(id, 'kind, from_status, to_status', `'connection', 'disconnected', 'connected'`);
    }
    const first = await claimAll();
    expect(first.map((d) => d.payload.type)).toEqual(['instance.connection_lost', 'instance.connection_lost']);
    expect(first[0].secret).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(await claimAll()).toEqual([]); // each instance has one in flight
    const ofA = first.find((d) => d.payload.data.instance!.id === a)!;
    await store.complete(ofA, ok, new Date(), null);
    const next = await claimAll();
    expect(next.map((d) => [d.payload.data.instance!.id, d.payload.type])).toEqual([[a, 'instance.connection_back']]);
    await store.complete(next[0], ok, new Date(), null);
    // b's claim lapses (its replica died): b's first delivery comes back, with the same id, before b's second.
    const later = new Date(Date.now() + 11_000);
    const again = await claimAll(later);
    expect(again.map((d) => [d.id, d.attempts])).toEqual([[first.find((d) => d !== ofA)!.id, 2]]);
    await store.removeEndpoint('default', ep.id);
  });

  it('retries at the given time, fails for good without one, and tracks failing_since', async () => {
    const ep = await store.createEndpoint({ project: 'default', url: 'https://a.example', events: ['webhook.test'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    await store.enqueue([ep.id], 'default', { type: 'webhook.test', timestamp: new Date().toISOString(), data: {} });
    const now = new Date();
    const [d] = (await claimAll(now)).filter((x) => x.endpointId === ep.id) as ClaimedDelivery[];
    await store.complete(d, { statusCode: 500, error: 'HTTP 500', latencyMs: 3 }, now, new Date(now.getTime() + 60_000));
    expect((await store.endpoint('default', ep.id))!.failingSince).not.toBeNull();
    expect((await claimAll(now)).filter((x) => x.endpointId === ep.id)).toEqual([]);
    const [d2] = (await claimAll(new Date(now.getTime() + 61_000))).filter((x) => x.endpointId === ep.id);
    expect(d2.id).toBe(d.id);
    await store.complete(d2, { statusCode: null, error: 'connect ECONNREFUSED', latencyMs: 1 }, now, null);
    const [log] = await store.deliveries(ep.id);
    expect(log.status).toBe('failed');
    expect(log.attemptLog.map((x) => x.error)).toEqual(['connect ECONNREFUSED', 'HTTP 500']);
    // Failing since before the cutoff: disabled, once.
    const disabled = await store.disableFailing(new Date(Date.now() + 1_000), 'failing for 24 h');
    expect(disabled.map((e) => e.id)).toEqual([ep.id]);
    expect(await store.disableFailing(new Date(Date.now() + 1_000), 'again')).toEqual([]);
    // Redeliver: same row (same webhook-id), pending again; a disabled endpoint's are not claimed.
    expect((await store.redeliver(ep.id, d.id, new Date()))!.status).toBe('pending');
    expect((await claimAll(new Date(Date.now() + 1_000))).filter((x) => x.endpointId === ep.id)).toEqual([]);
  });
});
