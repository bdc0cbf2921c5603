import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../engine/audit.ts';
import { installAudit } from './audit.ts';

/** A bare app with the audit hook and a recorder, and routes shaped like Hangar's. */
async function app() {
  const rows: AuditEntry[] = [];
  const a = Fastify();
  a.decorateRequest('actor', null);
  a.decorateRequest('project', 'default');
  a.addHook('onRequest', async (req) => {
    req.actor = (req.headers['x-actor'] as string | undefined) ?? null;
  });
  installAudit(a, { db: null as never, log: pino({ level: 'silent' }), record: async (e) => void rows.push(e) });
  a.get('/v1/instances', async () => ({ items: [] }));
  a.post('/v1/instances', async (_req, reply) => reply.code(201).send({ id: 'new-id', name: 'x' }));
  a.get('/v1/instances/:id/status', async () => ({ ok: true }));
  a.get('/v1/audit', { config: { sensitive: true } }, async () => ({ items: [] }));
  a.post('/v1/instances/:id/exec', async (_req, reply) => reply.code(403).type('application/problem+json').send(JSON.stringify({ type: 'forbidden', detail: 'exec is disabled for this instance' })));
  a.delete('/v1/ssh-hosts/:ref', async (_req, reply) => reply.code(204).send());
  await a.ready();
  /** Rows are written after the response: wait until `n` are there. */
  const settled = async (n: number) => {
    for (let i = 0; rows.length < n; i++) {
      if (i > 200) throw new Error(`waited for ${n} audit rows, have ${rows.length}`);
      await new Promise((r) => setImmediate(r));
    }
    return rows;
  };
  return { a, rows, settled };
}

describe('the audit hook', () => {
  it('records mutating calls and sensitive reads, not plain reads', async () => {
    const { a, rows, settled } = await app();
    await a.inject({ method: 'GET', url: '/v1/instances' });
    await a.inject({ method: 'POST', url: '/v1/instances', headers: { 'x-actor': 'api:ci', 'user-agent': 'hangar-cli/1' }, payload: { provider: 'local', secrets: { TOKEN: 'very-secret-1' }, password: 'very-secret-2' } });
    await a.inject({ method: 'GET', url: '/v1/instances/abc/status?verbose=1', headers: { 'x-actor': 'user:alice@example.com' } });
    await a.inject({ method: 'GET', url: '/v1/audit' });
    await a.inject({ method: 'POST', url: '/v1/instances/abc/exec', payload: { argv: ['mysql', '-phunter22'] } });
    await a.inject({ method: 'DELETE', url: '/v1/ssh-hosts/web' });
    await a.inject({ method: 'POST', url: '/v1/nowhere' });
    await a.inject({ method: 'GET', url: '/v1/audit?marker=last' }); // the last call: its row comes after every other
    await settled(6);
    expect(rows.map((r) => r.action)).toEqual(['POST /v1/instances', 'GET /v1/instances/:id/status', 'GET /v1/audit', 'POST /v1/instances/:id/exec', 'DELETE /v1/ssh-hosts/:ref', 'GET /v1/audit']);
    expect(rows[0]).toMatchObject({ actor: 'api:ci', objectType: 'instance', objectId: 'new-id', outcome: 201, userAgent: 'hangar-cli/1', ip: '127.0.0.1' });
    expect(rows[1]).toMatchObject({ actor: 'user:alice@example.com', objectId: 'abc', outcome: 200, data: { query: { verbose: '1' } } });
    expect(rows[3]).toMatchObject({ actor: 'anonymous', outcome: 403, reason: 'exec is disabled for this instance' });
    expect(rows[4]).toMatchObject({ objectType: 'ssh-host', objectId: 'web', outcome: 204 });
  });

  it('a failing audit write never fails the request', async () => {
    const a = Fastify();
    a.decorateRequest('actor', null);
    a.decorateRequest('project', 'default');
    const errors: unknown[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
    installAudit(a, { db: null as never, log, record: async () => Promise.reject(new Error('database is down')) });
    a.post('/v1/x', async () => ({ ok: true }));
    const res = await a.inject({ method: 'POST', url: '/v1/x' });
    expect(res.statusCode).toBe(200);
    for (let i = 0; errors.length === 0 && i < 200; i++) await new Promise((r) => setImmediate(r));
    expect(String(errors[0])).toMatch(/writing the audit row failed/);
  });
});
