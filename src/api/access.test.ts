import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../domain/errors.ts';
import { installAccess } from './access.ts';
import { sendProblem } from './problem.ts';

const ADMIN = 'Bearer hgr_admin_admin_admin_admin_admin';
function app(opts: { metricsPublic?: boolean } = {}) {
  const a = Fastify();
  a.setErrorHandler((err, _req, reply) => sendProblem(reply, err));
  const routes = installAccess(a, {
    apiKey: async (h) => {
      if (h !== ADMIN) throw new UnauthorizedError();
      return { id: 'k1', name: 'admin', project: null, role: 'admin' };
    },
    projectExists: async (name) => name === 'default',
    agent: async (h) => (h === 'Bearer agent' ? ({ id: 'i1', agentId: 'a1' } as never) : null),
    builder: async (id, token) => id === 'b1' && token === 'build',
    metricsPublic: opts.metricsPublic ?? false,
    failuresPerMinute: 0,
    log: pino({ level: 'silent' }),
  });
  return { a, routes };
}

describe('installAccess', () => {
  it('refuses at start-up a route that declares no callers', async () => {
    const { a } = app();
    expect(() => a.get('/v1/x', async () => ({}))).toThrow(/declares no access/);
  });

  it('admits each caller only where declared, and records who called', async () => {
    const { a, routes } = app();
    a.get('/pub', { config: { access: 'public' } }, async () => ({ ok: true }));
    a.get('/adm', { config: { access: 'admin' } }, async (req) => ({ actor: req.actor }));
    a.get('/agt', { config: { access: 'agent' } }, async (req) => ({ actor: req.actor, instance: req.agentInstance?.id }));
    a.post('/b/:id/ready', { config: { access: 'builder' } }, async (req) => ({ actor: req.actor }));
    a.get('/metrics', { config: { access: 'metrics' } }, async () => 'm');
    await a.ready();
    expect(routes.map((r) => `${r.method} ${r.url} ${r.access}`)).toContain('GET /adm admin');
    const get = (url: string, authorization?: string) => a.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
    expect((await get('/pub')).statusCode).toBe(200);
    expect((await get('/adm')).statusCode).toBe(401);
    expect((await get('/adm', ADMIN)).json()).toEqual({ actor: 'api:admin' });
    expect((await get('/adm', 'Bearer agent')).statusCode).toBe(401);
    expect((await get('/agt', ADMIN)).statusCode).toBe(401);
    expect((await get('/agt', 'Bearer agent')).json()).toEqual({ actor: 'agent:a1', instance: 'i1' });
    expect((await a.inject({ method: 'POST', url: '/b/b1/ready', headers: { authorization: 'Bearer build' } })).json()).toEqual({ actor: 'builder:b1' });
    expect((await a.inject({ method: 'POST', url: '/b/b2/ready', headers: { authorization: 'Bearer build' } })).statusCode).toBe(401);
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/metrics', ADMIN)).statusCode).toBe(200);
    // The check runs on the matched route: an escaped spelling of /adm is still /adm.
    expect((await get('/%61dm')).statusCode).toBe(401);
  });

  it('serves /metrics without a key when told to', async () => {
    const { a } = app({ metricsPublic: true });
    a.get('/metrics', { config: { access: 'metrics' } }, async () => 'm');
    expect((await a.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});
