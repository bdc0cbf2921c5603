import type { FastifyInstance, FastifyRequest } from 'fastify';
import { availableTokens } from '../../domain/api-budget.ts';
import type { BudgetSource } from '../metrics.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { PoolStore, PoolView } from '../../engine/pools/store.ts';
import { ApiBudget, PoolName, PutPool } from '../pool-schemas.ts';
import { parseInput } from '../problem.ts';
import type { RouteContext } from './context.ts';

/** What the pool routes need besides the engine: the pool rows and a way to run a pass now. */
export interface PoolsApi {
  store: PoolStore;
  kick(): void;
  /** The shared cloud-API buckets (for the dashboard). */
  budgets?: BudgetSource;
}

const poolJson = (p: PoolView) => ({
  name: p.name,
  project: p.project,
  provider: p.provider,
  serverType: p.serverType,
  location: p.location,
  workload: p.workload,
  ready: p.ready,
  warm: p.warm,
  starting: p.starting,
  consecutiveFailures: p.consecutiveFailures,
  paused: p.pausedAt != null,
  pauseReason: p.pauseReason,
  updatedAt: p.updatedAt.toISOString(),
});

/**
 * Warm pools (`PUT|DELETE /v1/pools/:name` for owners, `GET /v1/pools` for viewers), the
 * workload a claimed pool member's agent fetches (`GET /v1/agents/workload`), and the shared
 * cloud-API budget (`GET /v1/api-budget`, admin).
 *
 * @example
 * registerPoolRoutes(app, ctx, { store: pools, kick: () => keeper.kick() });
 */
export function registerPoolRoutes(app: FastifyInstance, ctx: RouteContext, pools: PoolsApi | undefined): void {
  const api = () => {
    if (!pools) throw new NotFoundError('feature', 'warm pools');
    return pools;
  };
  const nameOf = (req: FastifyRequest) => {
    const name = (req.params as { name: string }).name;
    if (!PoolName.safeParse(name).success) throw new NotFoundError('pool', JSON.stringify(name.slice(0, 64)));
    return name;
  };
  const view = async (project: string, name: string) => (await api().store.list(project)).find((p) => p.name === name);

  app.get('/v1/pools', { config: { access: 'viewer' } }, async (req) => ({ items: (await api().store.list(req.project)).map(poolJson) }));
  app.put('/v1/pools/:name', { config: { access: 'owner' }, bodyLimit: 4 * 1024 }, async (req) => {
    const name = nameOf(req);
    const body = parseInput(PutPool, req.body, 'body');
    ctx.engine.provider(body.provider); // a 400 naming `provider` when it is not configured
    await api().store.put(req.project, name, { provider: body.provider, serverType: body.serverType ?? null, location: body.location ?? null, workload: body.workload, ready: body.ready });
    api().kick();
    return poolJson((await view(req.project, name))!);
  });
  app.delete('/v1/pools/:name', { config: { access: 'owner' } }, async (req, reply) => {
    const name = nameOf(req);
    // Its unclaimed members are destroyed by the keeper's next pass (members of no pool).
    if (!(await api().store.remove(req.project, name))) throw new NotFoundError('pool', name);
    api().kick();
    return reply.code(204).send();
  });
  app.get('/v1/agents/workload', { config: { access: 'agent' } }, async (req) => ctx.engine.workloadPlan(req.agentInstance!));
  app.get('/v1/api-budget', { config: { access: 'admin' } }, async () => {
    const now = Date.now();
    const rows = pools?.budgets ? await pools.budgets.list() : [];
    return {
      items: rows.map((b) => {
        const remaining = Math.max(0, Math.floor(availableTokens(b.state, now)));
        return ApiBudget.parse({
          bucket: b.key,
          vendor: b.vendor,
          mode: b.state.mode,
          limit: b.state.limit,
          remaining,
          usedRatio: b.state.mode === 'unknown' ? 0 : Math.min(1, Math.max(0, 1 - remaining / b.state.limit)),
          inFlight: b.state.inFlight,
          granted: b.state.granted,
          limited: b.state.limited,
          blockedUntil: b.state.blockedUntil > now ? new Date(b.state.blockedUntil).toISOString() : null,
        });
      }),
    };
  });
}
