import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../domain/errors.ts';
import { LIFECYCLE } from '../../domain/lifecycle.ts';
import { splitConfig } from '../../engine/workload-config.ts';
import { CreateQuery } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { CreateInstance, ListQuery } from '../schemas.ts';
import { decodeCursor, encodeCursor } from '../serialize.ts';
import { actorOf, serializeInstance, type RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';

/** `serverType`/`location` as given: one value, or an ordered list for capacity fallback. */
function choiceLists(serverType: string | string[] | undefined, location: string | string[] | undefined) {
  return {
    serverType: Array.isArray(serverType) ? serverType[0] : serverType,
    location: Array.isArray(location) ? location[0] : location,
    serverTypes: Array.isArray(serverType) ? serverType : undefined,
    locations: Array.isArray(location) ? location : undefined,
  };
}

/** The largest create body: a compose file or a workload's settings fit well within it. */
const CREATE_BODY_LIMIT = 256 * 1024;

/**
 * Instances: create (with `Idempotency-Key`, `?dryRun=true` for the plan), list, get, destroy.
 *
 * @example
 * registerInstanceRoutes(app, ctx);
 */
export function registerInstanceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine } = ctx;
  const store = engine.store;

  app.post('/v1/instances', { config: { access: 'operator' }, bodyLimit: CREATE_BODY_LIMIT }, async (req, reply) => {
    const q = parseInput(CreateQuery, req.query, 'query');
    const body = parseInput(CreateInstance, req.body);
    const { config, secrets } = splitConfig(body.workload, body.config);
    const input = {
      name: body.name,
      provider: body.provider,
      ...choiceLists(body.serverType, body.location),
      project: req.project,
      image: body.image,
      workload: body.workload,
      workloadConfig: config,
      secrets,
      tailscale: body.tailscale,
      tailscaleTags: body.tailscaleTags,
      connectTimeoutSeconds: body.connectTimeoutSeconds,
      onFailure: body.onFailure,
      ttlSeconds: body.ttl,
      idleStopSeconds: body.idleStop,
    };
    if (q.dryRun === 'true') return reply.send(await engine.plan(input));
    const key = req.headers['idempotency-key'];
    const claim = typeof key === 'string' && key.length ? await ctx.idempotency.claim(req.project, actorOf(req), 'POST /v1/instances', key, req.body) : null;
    if (claim?.kind === 'replay') return reply.code(claim.status).header('idempotent-replayed', 'true').send(claim.response);
    try {
      const row = await engine.createInstance(input, actorOf(req));
      const json = serializeInstance(ctx, row);
      await claim?.complete(201, json);
      return reply.code(201).header('location', `/v1/instances/${row.id}`).send(json);
    } catch (err) {
      await claim?.abort();
      throw err;
    }
  });

  app.get('/v1/instances', { config: { access: 'viewer' } }, async (req) => {
    const q = parseInput(ListQuery, req.query, 'query');
    const status = q.status?.split(',').filter(Boolean);
    const bad = status?.filter((s) => !(LIFECYCLE as readonly string[]).includes(s));
    if (bad?.length) throw new ValidationError(`unknown status ${bad.join(', ')}`, [{ field: 'status', message: `one or more of ${LIFECYCLE.join(', ')}` }]);
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !cursor) throw new ValidationError('invalid cursor', [{ field: 'cursor', message: 'not a cursor returned by this API' }]);
    const rows = await store.list({ limit: q.limit + 1, cursor: cursor ?? undefined, status, provider: q.provider, project: req.project });
    const page = rows.slice(0, q.limit);
    return { items: page.map((r) => serializeInstance(ctx, r)), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null };
  });

  app.get('/v1/instances/:id', { config: { access: 'viewer' } }, async (req) => serializeInstance(ctx, await store.get(instanceIdOf(req))));

  app.delete('/v1/instances/:id', { config: { access: 'operator' } }, async (req, reply) => {
    const row = await engine.destroy(instanceIdOf(req), actorOf(req));
    return reply.code(202).send(serializeInstance(ctx, row));
  });
}
