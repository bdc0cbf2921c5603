import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.ts';
import { testDatabase } from '../../../test/helpers/db.ts';
import { Webhooks } from './webhooks.ts';

let database: Database;
let drop: () => Promise<void>;
let clock = new Date();
let w: Webhooks;
const published: string[] = [];

beforeAll(async () => {
  const t = await testDatabase('webhooks_facade');
  drop = t.drop;
  database = await openDatabase({ url: t.url });
  w = new Webhooks({ db: database.db, secretKey: randomBytes(32), policy: { allowHttp: false, allowPrivate: false }, log: pino({ level: 'silent' }), now: () => clock, unreachableMs: 300_000, onEvent: (id) => published.push(id) });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

describe('Webhooks', () => {
  it('refuses URLs by scheme and by where they resolve, naming the field', async () => {
    for (const url of ['http://example.com/x', 'https://localhost/x', 'https://127.0.0.1/x', 'https://169.254.169.254/x', 'https://[::1]/x']) {
      const err = await w.add('default', { url, events: ['*'], format: 'standard' }, null).catch((e: unknown) => e);
      expect(err, url).toMatchObject({ status: 400, errors: [{ field: 'url' }] });
    }
  });

  it('fires instance.unreachable once the lost connection is old enough and still lost', async () => {
    const [row] = (await database.executeSql(`INSERT INTO instances (name, server_name, provider, workload, labels, status, connection) VALUES ('u', 'hangar-u', 'local', 'process', '{}', 'running', 'disconnected') RETURNING id`)).rows;
    const [back] = (await database.executeSql(`INSERT INTO instances (name, server_name, provider, workload, labels, status, connection) VALUES ('b', 'hangar-b', 'local', 'process', '{}', 'running', 'connected') RETURNING id`)).rows;
    for (const id of [row.id, back.id]) await database.executeSql(`INSERT INTO instance_events (instance_id, actor, kind, from_status, to_status) VALUES ('${id}', 't', 'connection', 'connected', 'disconnected')`);
    await database.executeSql(`INSERT INTO instance_events (instance_id, actor, kind, from_status, to_status) VALUES ('${back.id}', 't', 'connection', 'disconnected', 'connected')`);
    const unreachable = async () => (await database.executeSql(`SELECT instance_id FROM instance_events WHERE data->>'alert' = 'unreachable'`)).rows.map((r: { instance_id: string }) => r.instance_id);
    clock = new Date(Date.now() + 60_000);
    await w.housekeeping();
    expect(await unreachable()).toEqual([]);
    clock = new Date(Date.now() + 301_000);
    await w.housekeeping();
    await w.housekeeping();
    expect(await unreachable()).toEqual([row.id]);
    expect(published).toEqual([row.id]);
  });

  it('disables an endpoint failing for 24 h and tells the project’s other endpoints', async () => {
    const failing = await w.store.createEndpoint({ project: 'p', url: 'https://a.example', events: ['*'], format: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    const watcher = await w.store.createEndpoint({ project: 'p', url: 'https://b.example', events: ['webhook.disabled'], format: 'slack', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdBy: null });
    await database.executeSql(`UPDATE webhook_endpoints SET failing_since = now() - interval '23 hours' WHERE id = '${failing.id}'`);
    clock = new Date();
    await w.housekeeping();
    expect((await w.store.endpoint('p', failing.id))!.enabled).toBe(true);
    clock = new Date(Date.now() + 2 * 3_600_000);
    await w.housekeeping();
    const e = (await w.store.endpoint('p', failing.id))!;
    expect(e.enabled).toBe(false);
    expect(e.disabledReason).toMatch(/24 h/);
    const [d] = await w.store.deliveries(watcher.id);
    expect(d.eventType).toBe('webhook.disabled');
    expect(JSON.stringify(d.payload)).toContain(failing.url);
  });
});
