import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError, NotFoundError } from '../../domain/errors.ts';
import type { ProviderName as Name } from '../../domain/providers.ts';
import { RefreshQuery as Refresh } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { ProviderName } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** How a provider this server does not offer is enabled (`GET /v1/providers`, and the 404 for it). */
const ENABLE: Record<Name, string> = {
  local: "set HANGAR_LOCAL_PROVIDER=1 in the server's environment and restart it",
  hetzner: "set HETZNER_API_TOKEN or HCLOUD_TOKEN in the server's environment and restart it, or PUT /v1/providers/hetzner/credentials",
  'digital-ocean': "set DIGITALOCEAN_API_TOKEN or DIGITALOCEAN_TOKEN in the server's environment and restart it, or PUT /v1/providers/digital-ocean/credentials",
  ssh: 'restart the server with the ssh provider on (its default)',
};


/**
 * Providers: which are enabled and how, their server types and locations, and write-only cloud
 * and tailnet credentials (sealed at rest, never returned).
 *
 * @example
 * registerProviderRoutes(app, ctx);
 */
export function registerProviderRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine, catalogue } = ctx;
  app.get('/v1/providers', { config: { access: 'viewer' } }, async () => {
    const stored = new Set((await ctx.credentials?.stored()) ?? []);
    return {
      items: [...engine.providers.values()].map((p) => ({ name: p.name, userDataLimit: p.userDataLimit, credentials: stored.has(p.name) ? 'api' : p.name === 'local' || p.name === 'ssh' ? 'none needed' : 'environment', configured: true })),
      unconfigured: ProviderName.options.filter((n) => !engine.providers.has(n)).map((name) => ({ name, configured: false, enable: ENABLE[name] })),
      tailnet: engine.settings.tailnet ? (stored.has('tailscale') ? 'api' : 'environment') : 'not configured',
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
    if (engine.providers.has(name as never)) return name;
    if (Object.hasOwn(ENABLE, name)) throw new HangarError('not-found', `provider ${name} is not configured on this server; to enable it, ${ENABLE[name as Name]}`, 404);
    throw new HangarError('not-found', `provider ${JSON.stringify(name.slice(0, 64))} not found; known providers: ${ProviderName.options.join(', ')}`, 404);
  };
  const refreshOf = (req: FastifyRequest) => parseInput(Refresh, req.query, 'query').refresh === 'true';
  app.get('/v1/providers/:provider/server-types', { config: { access: 'viewer' } }, async (req) => ({ items: await catalogue.serverTypes(providerOf(req), refreshOf(req)) }));
  app.get('/v1/providers/:provider/locations', { config: { access: 'viewer' } }, async (req) => ({ items: await catalogue.locationsOf(providerOf(req), refreshOf(req)) }));
}
