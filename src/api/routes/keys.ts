import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError, NotFoundError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import { roleAllows, type Grant } from '../../domain/roles.ts';
import type { KeyInfo } from '../../db/stores/keys.ts';
import { parseInput } from '../problem.ts';
import { CreateKey } from '../schemas-tenancy.ts';
import { actorOf, type RouteContext } from './context.ts';

/** A key as the API shows it: never the key, never its hash. */
export const keyJson = (k: KeyInfo) => ({
  id: k.id, name: k.name, prefix: k.prefix, project: k.project, role: k.role,
  createdAt: k.createdAt.toISOString(), createdBy: k.createdBy, lastUsedAt: k.lastUsedAt?.toISOString() ?? null, expiresAt: k.expiresAt?.toISOString() ?? null,
});

/** Whether the caller may see and revoke `k`: a key of the request's project, or (admins) an admin key. */
const manages = (req: FastifyRequest, k: KeyInfo) => (k.project === null ? req.grant === 'admin' : k.project === req.project);

/**
 * API keys: a project owner mints (at most its own role), lists and revokes the keys of its
 * project; an installation admin also those of the installation (`role: admin`). A new key is
 * returned once; lists never hold a key or its hash. Revocation takes effect on the next request
 * on every replica (keys are checked against the database every time).
 *
 * @example
 * registerKeyRoutes(app, ctx);
 */
export function registerKeyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/keys', { config: { access: 'owner' }, bodyLimit: 4 * 1024 }, async (req, reply) => {
    const body = parseInput(CreateKey, req.body);
    const have = req.grant as Grant;
    if (body.role === 'admin' ? have !== 'admin' : !roleAllows(have, body.role)) {
      throw new HangarError('forbidden', `a key holding ${have} cannot mint a ${body.role} key (never more than the caller holds)`, 403);
    }
    const { key, info } = await ctx.keys.create({
      name: body.name,
      project: body.role === 'admin' ? null : req.project,
      role: body.role,
      expiresAt: body.expiresInSeconds ? new Date(Date.now() + body.expiresInSeconds * 1000) : null,
      createdBy: actorOf(req),
    });
    return reply.code(201).send({ ...keyJson(info), key });
  });

  app.get('/v1/keys', { config: { access: 'owner' } }, async (req) => {
    const mine = await ctx.keys.list(req.project);
    const admins = req.grant === 'admin' ? await ctx.keys.list(null) : [];
    return { items: [...admins, ...mine].map(keyJson) };
  });

  app.delete('/v1/keys/:id', { config: { access: 'owner' } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const k = isUuid(id) ? await ctx.keys.get(id) : null;
    if (!k || k.revokedAt || !manages(req, k)) throw new NotFoundError('API key', JSON.stringify(id.slice(0, 64)));
    await ctx.keys.revoke(id);
    return reply.code(204).send();
  });
}
