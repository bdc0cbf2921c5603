import type { FastifyInstance } from 'fastify';
import { parseInput } from '../problem.ts';
import { ExtendInstance, StopInstance } from '../schemas.ts';
import { actorOf, serializeInstance, type RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';

/** Stop/start/extend bodies are a few bytes. */
const BODY_LIMIT = 1024;

/**
 * Lifetimes: stop (hibernate; `keepServer` powers off only), start (restore), extend the TTL.
 * Each answers 202 with the instance; the durable jobs do the cloud work (follow the events).
 *
 * @example
 * registerLifetimeRoutes(app, ctx); // POST /v1/instances/:id/stop { "keepServer": false }
 */
export function registerLifetimeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine } = ctx;

  app.post('/v1/instances/:id/stop', { config: { access: 'operator' }, bodyLimit: BODY_LIMIT }, async (req, reply) => {
    const id = instanceIdOf(req);
    const body = parseInput(StopInstance, req.body ?? {});
    const row = await engine.stop(id, actorOf(req), { keepServer: body.keepServer });
    return reply.code(202).send(serializeInstance(ctx, row));
  });

  app.post('/v1/instances/:id/start', { config: { access: 'operator' }, bodyLimit: BODY_LIMIT }, async (req, reply) => {
    const row = await engine.start(instanceIdOf(req), actorOf(req));
    return reply.code(202).send(serializeInstance(ctx, row));
  });

  app.post('/v1/instances/:id/extend', { config: { access: 'operator' }, bodyLimit: BODY_LIMIT }, async (req) => {
    const id = instanceIdOf(req);
    const body = parseInput(ExtendInstance, req.body);
    return serializeInstance(ctx, await engine.extend(id, body.by, actorOf(req)));
  });
}
