import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client.ts';
import { Webhooks } from '../../engine/webhooks/webhooks.ts';
import { testDatabase } from '../../../test/helpers/db.ts';
import { sendProblem } from '../problem.ts';
import { registerWebhookRoutes } from './webhooks.ts';

let database: Database;
let drop: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  const t = await testDatabase('webhook_routes');
  drop = t.drop;
  database = await openDatabase({ url: t.url });
  const webhooks = new Webhooks({ db: database.db, secretKey: randomBytes(32), policy: { allowHttp: true, allowPrivate: true }, log: pino({ level: 'silent' }) });
  app = Fastify();
  // The access check's part these routes rely on: the caller's project (here from a header).
  app.decorateRequest('project', 'default');
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (req) => {
    req.project = String(req.headers['x-project'] ?? 'default');
    req.actor = 'api:test';
  });
  app.setErrorHandler((err, _req, reply) => sendProblem(reply, err));
  registerWebhookRoutes(app, webhooks);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await drop?.();
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, project = 'default', payload?: unknown) =>
  app.inject({ method, url, headers: { 'x-project': project, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload: payload as never });

describe('webhook routes', () => {
  it('declare role owner on every route', () => {
    const routes: { url: string; access: unknown }[] = [];
    const probe = Fastify();
    probe.addHook('onRoute', (r) => void (r.method !== 'HEAD' && routes.push({ url: r.url, access: r.config?.access })));
    registerWebhookRoutes(probe, {} as Webhooks);
    expect(routes.length).toBe(7);
    expect(new Set(routes.map((r) => r.access))).toEqual(new Set(['owner']));
  });

  it('keep each project to its own endpoints: another project’s is a 404', async () => {
    const created = await call('POST', '/v1/webhooks', 'alpha', { url: 'http://127.0.0.1:9/hook', events: ['instance.failed'] });
    expect(created.statusCode).toBe(201);
    const ep = created.json();
    expect(ep).toMatchObject({ project: 'alpha', createdBy: 'api:test', format: 'standard' });
    for (const [m, u] of [['GET', `/v1/webhooks/${ep.id}`], ['DELETE', `/v1/webhooks/${ep.id}`], ['POST', `/v1/webhooks/${ep.id}/test`], ['GET', `/v1/webhooks/${ep.id}/deliveries`]] as const) {
      expect((await call(m, u, 'beta')).statusCode, `${m} ${u}`).toBe(404);
    }
    expect((await call('GET', '/v1/webhooks', 'beta')).json().items).toEqual([]);
    expect((await call('GET', '/v1/webhooks', 'alpha')).json().items.map((e: { id: string }) => e.id)).toEqual([ep.id]);
    const test = await call('POST', `/v1/webhooks/${ep.id}/test`, 'alpha');
    expect(test.statusCode).toBe(202);
    expect(test.json().webhookId).toMatch(/^msg_[0-9a-f]{32}$/);
    expect((await call('POST', `/v1/webhooks/${ep.id}/deliveries/${test.json().id}/redeliver`, 'beta')).statusCode).toBe(404);
    expect((await call('POST', `/v1/webhooks/${ep.id}/deliveries/${test.json().id}/redeliver`, 'alpha')).statusCode).toBe(202);
    expect((await call('DELETE', `/v1/webhooks/${ep.id}`, 'alpha')).statusCode).toBe(204);
  });

  it('answer bad input with 400 naming the field', async () => {
    const r = await call('POST', '/v1/webhooks', 'alpha', { url: 'http://127.0.0.1:9/hook', events: ['instance.failed', 'nope'] });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors.map((e: { field: string }) => e.field)).toEqual(['events.1']);
    const q = await call('GET', '/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries?limit=0', 'alpha');
    expect(q.statusCode).toBe(404);
  });
});
