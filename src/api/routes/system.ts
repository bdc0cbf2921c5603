import type { FastifyInstance } from 'fastify';
import { ConflictError, HangarError } from '../../domain/errors.ts';
import { openApiDocument } from '../openapi.ts';
import type { RouteContext } from './context.ts';

/**
 * Liveness (`/livez`: the process answers), readiness (`/healthz`, `/readyz`: the database and
 * the job queue answer, `engine.ready()`), Prometheus metrics (`metrics` access: an API key unless HANGAR_METRICS_PUBLIC=1), the
 * OpenAPI document, and an on-demand reconciler pass.
 *
 * @example
 * registerSystemRoutes(app, ctx);
 */
export function registerSystemRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/livez', { config: { access: 'public' } }, async () => ({ ok: true }));
  const ready = async () => {
    const s = await ctx.engine.ready();
    if (s.database !== 'up') throw new HangarError('unavailable', 'the database does not answer', 503);
    if (s.queue !== 'up') throw new HangarError('unavailable', 'the job queue does not answer', 503);
    return { ok: true, database: 'up', queue: 'up' };
  };
  app.get('/healthz', { config: { access: 'public' } }, ready);
  app.get('/readyz', { config: { access: 'public' } }, ready);
  app.get('/metrics', { config: { access: 'metrics' } }, async (_req, reply) => {
    await ctx.metrics.refresh();
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  app.get('/openapi.json', { config: { access: 'public' } }, async () => openApiDocument());
  app.post('/v1/reconcile', { config: { access: 'admin' } }, async () => {
    if (!ctx.reconcile) throw new ConflictError('the reconciler is not running in this process');
    return ctx.reconcile();
  });
}
