import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { RefreshQuery as Refresh } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import type { RouteContext } from './context.ts';


/**
 * Providers: which are enabled and how, their server types and locations, and write-only cloud
 * and tailnet credentials (sealed at rest, never returned).
 *
 * @example
 * registerProviderRoutes(app, ctx);
 */
export function registerProviderRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine, catalogue } = ctx;
  app.get('/v1/providers', { config: { access: 'admin' } }, async () => {
    const stored = new Set((await ctx.credentials?.stored()) ?? []);
    return {
      items: [...engine.deps.providers.values()].map((p) => ({ name: p.name, userDataLimit: p.userDataLimit, credentials: stored.has(p.name) ? 'api' : p.name === 'local' || p.name === 'ssh' ? 'none needed' : 'environment' })),
      tailnet: engine.deps.tailnet ? (stored.has('tailscale') ? 'api' : 'environment') : 'not configured',
    };
  });
  const credentials = () => {
    if (!ctx.credentials) throw new NotFoundError('route', 'credentials');
    return ctx.credentials;
  };
  const serviceOf = (req: FastifyRequest) => (req.params as { provider: string }).provider;
  app.put('/v1/providers/:provider/credentials', { config: { access: 'admin' }, bodyLimit: 16 * 1024 }, async (req, reply) => {
    await credentials().put(serviceOf(req), req.body);
    return reply.code(204).send();
  });
  app.delete('/v1/providers/:provider/credentials', { config: { access: 'admin' } }, async (req, reply) => {
    const name = serviceOf(req);
    if (!(await credentials().remove(name))) throw new NotFoundError('stored credentials', JSON.stringify(name.slice(0, 64)));
    return reply.code(204).send();
  });
  const providerOf = (req: FastifyRequest) => {
    const name = serviceOf(req);
    if (!engine.deps.providers.has(name as never)) throw new NotFoundError('provider', JSON.stringify(name.slice(0, 64)));
    return name;
  };
  const refreshOf = (req: FastifyRequest) => parseInput(Refresh, req.query, 'query').refresh === 'true';
  app.get('/v1/providers/:provider/server-types', { config: { access: 'admin' } }, async (req) => ({ items: await catalogue.serverTypes(providerOf(req), refreshOf(req)) }));
  app.get('/v1/providers/:provider/locations', { config: { access: 'admin' } }, async (req) => ({ items: await catalogue.locationsOf(providerOf(req), refreshOf(req)) }));
}
