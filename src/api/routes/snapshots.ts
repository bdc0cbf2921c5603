import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.ts';
import { snapshotBuildJson } from '../../engine/snapshots.ts';
import { CloudName, SnapshotProviderQuery as ProviderQuery, SnapshotReady as Ready, StartSnapshotBuild as StartBuild } from '../inputs.ts';
import { parseInput } from '../problem.ts';
import { bearerToken } from '../access.ts';
import type { RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';


/**
 * Snapshots: start a build, list, delete, prune; builds' progress; and the builder server's own
 * report (`builder` access: its build token, not an API key).
 *
 * @example
 * registerSnapshotRoutes(app, ctx);
 */
export function registerSnapshotRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const snapshots = () => {
    if (!ctx.snapshots) throw new NotFoundError('feature', 'snapshots');
    return ctx.snapshots;
  };
  app.post('/v1/snapshots', { config: { access: 'admin' } }, async (req, reply) => {
    const build = await snapshots().start(parseInput(StartBuild, req.body ?? {}));
    return reply.code(202).header('location', `/v1/snapshot-builds/${build.id}`).send(snapshotBuildJson(build));
  });
  app.get('/v1/snapshots', { config: { access: 'admin' } }, async (req) => ({ items: await snapshots().list(parseInput(ProviderQuery, req.query, 'query').provider) }));
  app.post('/v1/snapshots/prune', { config: { access: 'admin' } }, async (req) => snapshots().prune(parseInput(ProviderQuery, req.query, 'query').provider));
  app.delete('/v1/snapshots/:provider/:id', { config: { access: 'admin' } }, async (req, reply) => {
    const { provider, id } = parseInput(z.object({ provider: CloudName, id: z.string().regex(/^\d{1,20}$/, 'a snapshot id (digits)') }), req.params, 'query');
    await snapshots().remove(provider, id);
    return reply.code(204).send();
  });
  app.get('/v1/snapshot-builds', { config: { access: 'admin' } }, async () => ({ items: (await snapshots().builds()).map(snapshotBuildJson) }));
  app.get('/v1/snapshot-builds/:id', { config: { access: 'admin' } }, async (req) => snapshotBuildJson(await snapshots().get(instanceIdOf(req, 'snapshot build'))));
  app.post('/v1/snapshot-builds/:id/ready', { config: { access: 'builder' }, bodyLimit: 16 * 1024 }, async (req) => {
    const row = await snapshots().ready(instanceIdOf(req, 'snapshot build'), bearerToken(req.headers.authorization), parseInput(Ready, req.body ?? {}));
    return { id: row.id, status: row.status, recorded: true };
  });
}
