import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { projectNameProblem } from '../../domain/projects.ts';
import type { ProjectInfo } from '../../db/stores/projects.ts';
import { parseInput } from '../problem.ts';
import { CreateProject } from '../schemas-tenancy.ts';
import { actorOf, type RouteContext } from './context.ts';

const projectJson = (p: ProjectInfo) => ({ name: p.name, createdAt: p.createdAt.toISOString(), createdBy: p.createdBy, liveInstances: p.liveInstances });

/**
 * Projects (tenants): installation admins create and remove them; anyone with a key sees the
 * projects it may act in (an admin: all; a project key: its own). A project with live instances
 * cannot be removed (409 naming the count).
 *
 * @example
 * registerProjectRoutes(app, ctx);
 */
export function registerProjectRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/projects', { config: { access: 'admin' }, bodyLimit: 4 * 1024 }, async (req, reply) => {
    const body = parseInput(CreateProject, req.body);
    return reply.code(201).send(projectJson(await ctx.projects.create(body.name, actorOf(req))));
  });

  app.get('/v1/projects', { config: { access: 'viewer' } }, async (req) => ({
    items: (await ctx.projects.list(req.grant === 'admin' ? undefined : req.project)).map(projectJson),
  }));

  app.delete('/v1/projects/:name', { config: { access: 'admin' } }, async (req, reply) => {
    const { name } = req.params as { name: string };
    if (projectNameProblem(name)) throw new NotFoundError('project', JSON.stringify(name.slice(0, 64)));
    await ctx.projects.remove(name);
    return reply.code(204).send();
  });
}
