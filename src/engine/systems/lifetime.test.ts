/**
 * Lifetimes ↔ webhooks ↔ audit: an idle stop and a TTL expiry, fired through the real timer
 * step on a real database, each give a webhook delivery of their own type (the event-log
 * trigger) and an audit row by the system with the reason; a budget warning event maps too.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.ts';
import { testDatabase } from '../../../test/helpers/db.ts';
import { listAudit } from '../audit.ts';
import type { EngineResources } from '../resources.ts';
import { Store } from '../store.ts';
import { WebhookStore } from '../webhooks/store.ts';
import { activityNote, lifetimeStep } from './lifetime.ts';

let database: Database;
let drop: () => Promise<void>;
let webhooks: WebhookStore;
let r: EngineResources;
const enqueued: [string, string][] = [];

beforeAll(async () => {
  const t = await testDatabase('lifetime_wiring');
  drop = t.drop;
  database = await openDatabase({ url: t.url });
  webhooks = new WebhookStore(database.db, randomBytes(32));
  // The engine parts lifetimeStep touches: the real store; the job queue records what it was asked.
  const jobs = { enqueue: async (name: string, id: string) => void enqueued.push([name, id]) };
  r = { store: new Store(database.db), jobs, providers: new Map([['local', {}]]) } as unknown as EngineResources;
}, 60_000);
afterAll(async () => {
  await database?.close();
  await drop?.();
});

const instance = async (name: string, cols: string, vals: string): Promise<string> =>
  (await database.executeSql(`INSERT INTO instances (name, server_name, provider, workload, labels, status, project, ${cols}) VALUES ('${name}', 'hangar-${name}', 'local', 'process', '{}', 'running', 'default', ${vals}) RETURNING id`)).rows[0].id;
const types = async (endpointId: string, instanceId: string) =>
  (await webhooks.deliveries(endpointId, 200)).filter((d) => d.instanceId === instanceId).map((d) => d.eventType);

describe('automatic lifetime actions', () => {
  it('an idle stop gives an instance.idle_stopped delivery and a system audit row naming the activity seen', async () => {
    const ep = await webhooks.createEndpoint({ project: 'default', url: 'https://a.example', events: ['*'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const id = await instance('idle', 'idle_stop_seconds, last_active_at, running_at, activity', `60, now() - interval '1 hour', now() - interval '2 hours', '{"cpuPercent":0.4,"connections":0}'`);
    await lifetimeStep(r, id);
    expect((await r.store.get(id)).status).toBe('hibernating');
    expect(await types(ep.id, id)).toEqual(['instance.idle_stopped']);
    const [audit] = await listAudit(database.db, { object: `instance:${id}` });
    expect(audit).toMatchObject({ actorKind: 'system', action: 'instance.idle_stop', outcome: 'ok' });
    expect(audit.actor).toMatch(/^system/);
    expect(audit.reason).toContain('idle 1m');
    expect(audit.reason).toContain('last report: 0.4% CPU, 0 connections');
    // Fired again (a second replica): nothing more.
    await lifetimeStep(r, id);
    expect(await types(ep.id, id)).toEqual(['instance.idle_stopped']);
    expect(await listAudit(database.db, { object: `instance:${id}` })).toHaveLength(1);
  });

  it('a TTL expiry gives an instance.ttl_expired delivery and a system audit row with the reason', async () => {
    const ep = await webhooks.createEndpoint({ project: 'default', url: 'https://b.example', events: ['instance.ttl_expired'], format: 'json', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const id = await instance('ttl', 'ttl_seconds, expires_at', `3600, now() - interval '1 minute'`);
    await lifetimeStep(r, id);
    expect((await r.store.get(id)).status).toBe('stopping');
    expect(enqueued).toContainEqual(['teardown', id]);
    expect(await types(ep.id, id)).toEqual(['instance.ttl_expired']);
    const [audit] = await listAudit(database.db, { object: `instance:${id}` });
    expect(audit).toMatchObject({ actorKind: 'system', action: 'instance.ttl_expired', outcome: 'ok', project: 'default' });
    expect(audit.reason).toMatch(/^ttl 1h expired at .*: destroying$/);
  });

  it('a budget warning event (as create writes it) gives a budget.warning delivery', async () => {
    const ep = await webhooks.createEndpoint({ project: 'default', url: 'https://c.example', events: ['budget.warning'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const id = await instance('budget', 'idle_stop_seconds', 'null');
    await r.store.event(id, { actor: 'engine', kind: 'budget_warning', reason: 'projected spend reached 80%', data: { scope: 'econ', threshold: 80 } });
    expect(await types(ep.id, id)).toEqual(['budget.warning']);
  });
});

describe('activityNote', () => {
  it('names what the agent last reported, or that it reported nothing', () => {
    expect(activityNote({ cpuPercent: 0.44, connections: 1, networkBytes: 0, sessions: 2 })).toBe(' (last report: 0.4% CPU, 1 connection, 0 network bytes, 2 sessions)');
    expect(activityNote(null)).toBe(' (no activity report from the agent)');
    expect(activityNote({ cpuPercent: 'x' })).toBe(' (no activity report from the agent)');
  });
});
