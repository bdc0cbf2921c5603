import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { enroll } from '../../hub/enrollment.ts';
import { AgentUpdateQuery } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { Enroll } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { versionOf } from './releases.ts';


/**
 * Agents' routes: enroll with the one-time bootstrap token (public: the token is the credential),
 * download the bootstrap bundle (public: no secret in it), and, with the agent's own key, ask for
 * the release to run and download it.
 *
 * @example
 * registerAgentRoutes(app, ctx);
 */
export function registerAgentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine } = ctx;
  app.post('/v1/agents/enroll', { config: { access: 'public' }, bodyLimit: 16 * 1024 }, async (req) => {
    const body = parseInput(Enroll, req.body);
    return enroll(engine, body.token, body);
  });
  app.get('/v1/agent/bundle', { config: { access: 'public' } }, async (_req, reply) => {
    return reply.type('text/javascript').header('cache-control', 'no-cache').send(await ctx.agentBundle());
  });

  const releases = () => {
    if (!ctx.releases) throw new NotFoundError('feature', 'agent releases');
    return ctx.releases;
  };
  app.get('/v1/agents/update', { config: { access: 'agent' } }, async (req, reply) => {
    const q = parseInput(AgentUpdateQuery, req.query, 'query');
    const offer = await releases().offer(req.agentInstance!.id, q.version, (q.refused ?? '').split(',').filter(Boolean), engine.publicUrl);
    return offer ? offer : reply.code(204).send();
  });
  app.get('/v1/agents/releases/:version/bundle', { config: { access: 'agent' } }, async (req, reply) => {
    const bundle = await releases().bundle(versionOf(req));
    return reply.type('application/octet-stream').header('cache-control', 'no-store').send(bundle);
  });
}
