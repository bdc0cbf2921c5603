import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import type { CostsView } from '../../engine/budgets.ts';
import { CostsQuery, ProjectParam, SetBudget } from '../budget-schemas.ts';
import { parseInput } from '../problem.ts';
import { actorOf, type RouteContext } from './context.ts';

/** A budget body is a number and a currency. */
const BUDGET_BODY_LIMIT = 1024;

/** The budget of a scope from a costs view, or null. */
const pick = (v: CostsView, scope: 'installation' | 'project') => v.budgets.find((b) => b.scope === scope) ?? null;

/**
 * Budgets and costs: the installation's monthly cap (admin), a project's (owner), what the month
 * costs so far and projected (viewer).
 *
 * @example
 * registerBudgetRoutes(app, ctx);
 */
export function registerBudgetRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { engine } = ctx;
  /** The project in the path, which must be the request's (installation admins may act in any). */
  const projectOf = (req: FastifyRequest) => {
    const parsed = ProjectParam.safeParse(req.params);
    const project = parsed.success ? parsed.data.project : String((req.params as { project?: unknown }).project ?? '').slice(0, 40);
    if (!parsed.success) throw new NotFoundError('project', JSON.stringify(project));
    if (req.grant !== 'admin' && project !== req.project) throw new NotFoundError('project', project);
    return project;
  };

  app.get('/v1/budget', { config: { access: 'viewer' } }, async (req) => {
    const v = await engine.costs(req.project);
    return { installation: pick(v, 'installation'), project: pick(v, 'project') };
  });

  app.put('/v1/budget', { config: { access: 'admin' }, bodyLimit: BUDGET_BODY_LIMIT }, async (req) => {
    const body = parseInput(SetBudget, req.body);
    await engine.setBudget(null, body.monthly === null ? null : { monthly: body.monthly, currency: body.currency }, actorOf(req));
    const v = await engine.costs(req.project);
    return { installation: pick(v, 'installation'), project: pick(v, 'project') };
  });

  app.put('/v1/projects/:project/budget', { config: { access: 'owner' }, bodyLimit: BUDGET_BODY_LIMIT }, async (req) => {
    const project = projectOf(req);
    const body = parseInput(SetBudget, req.body);
    await engine.setBudget(project, body.monthly === null ? null : { monthly: body.monthly, currency: body.currency }, actorOf(req));
    const v = await engine.costs(project);
    return { installation: pick(v, 'installation'), project: pick(v, 'project') };
  });

  app.get('/v1/costs', { config: { access: 'viewer' } }, async (req) => {
    const q = parseInput(CostsQuery, req.query, 'query');
    // Installation admins see the whole installation unless they name a project; everyone else their project.
    return engine.costs(req.grant === 'admin' ? (q.project ?? null) : req.project);
  });
}
