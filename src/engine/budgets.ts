import { cents, monthOf, monthSpend, spanCost, type Cap } from '../domain/budget.ts';
import { ConflictError } from '../domain/errors.ts';
import { INSTALLATION_SCOPE, type BudgetRow } from '../db/stores/budgets.ts';
import type { EngineResources } from './resources.ts';

/** A budget as the API shows it, with this month's spend in its currency. */
export interface BudgetView {
  scope: 'installation' | 'project';
  project: string | null;
  monthly: number;
  currency: string;
  spent: number;
  projected: number;
  percent: number;
  updatedAt: string;
}

/** What the month costs so far and projected, per currency, and per instance. */
export interface CostsView {
  month: string;
  totals: { currency: string; spent: number; projected: number }[];
  budgets: BudgetView[];
  instances: { id: string; name: string; provider: string; serverType: string | null; location: string | null; status: string; hourly: number; monthly: number; currency: string; spent: number; projected: number }[];
}

function ledgerOf(r: EngineResources) {
  if (!r.ledger) throw new ConflictError('budgets need the database ledger, which this Hangar was started without');
  return r.ledger;
}

/**
 * Set (or, with null, remove) the monthly budget of the installation (`project` null) or a project.
 *
 * @example
 * await setBudget(r, null, { monthly: 200, currency: 'EUR' }, 'api:admin');
 */
export async function setBudget(r: EngineResources, project: string | null, cap: Cap | null, actor: string): Promise<void> {
  await ledgerOf(r).setBudget(project ?? INSTALLATION_SCOPE, cap, actor);
}

/**
 * Spend this month, projected month and per instance (of one project, or of the installation
 * when `project` is null), with the budgets that apply.
 *
 * @example
 * const { totals } = await costs(r, 'default', new Date());
 */
export async function costs(r: EngineResources, project: string | null, now = new Date()): Promise<CostsView> {
  const ledger = ledgerOf(r);
  const spans = await ledger.spans(now, project ?? undefined);
  const month = monthOf(now);
  const currencies = [...new Set(spans.map((s) => s.currency).filter(Boolean))].sort();
  const totals = currencies.map((currency) => ({ currency, ...monthSpend(spans.filter((s) => s.currency === currency), now) })).map(({ currency, spent, projected }) => ({ currency, spent, projected }));
  const view = (b: BudgetRow): BudgetView => {
    const { spent, projected } = monthSpend(spans.filter((s) => s.currency === b.currency && (b.scope === INSTALLATION_SCOPE || s.project === b.scope)), now);
    return { scope: b.scope === INSTALLATION_SCOPE ? 'installation' : 'project', project: b.scope === INSTALLATION_SCOPE ? null : b.scope, monthly: b.monthly, currency: b.currency, spent, projected, percent: b.monthly > 0 ? Math.round((projected / b.monthly) * 1000) / 10 : 0, updatedAt: b.updatedAt.toISOString() };
  };
  const budgets = (await ledger.budgetsFor(project ? [INSTALLATION_SCOPE, project] : [INSTALLATION_SCOPE])).map(view);
  const instances = spans.map((s) => {
    return {
      id: s.instanceId,
      name: s.name,
      provider: s.provider,
      serverType: s.serverType,
      location: s.location,
      status: s.status,
      hourly: s.hourly,
      monthly: s.monthly,
      currency: s.currency,
      spent: cents(spanCost(s, month, now)),
      projected: cents(spanCost(s, month, s.end ? now : month.end)),
    };
  });
  return { month: month.key, totals, budgets, instances };
}
