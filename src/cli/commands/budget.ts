import type { Command } from 'commander';
import { body } from '../../api/contract/client.ts';
import type { components } from '../../api/contract/types.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table, type Colors } from '../output.ts';
import type { Action } from '../program.ts';

type Budget = components['schemas']['Budget'];
type Costs = components['schemas']['Costs'];

/**
 * `200EUR`, `200 EUR`, `199.5usd` or `200` (EUR) as a monthly cap; `none` removes it.
 *
 * @example
 * parseMoney('200EUR') // → { monthly: 200, currency: 'EUR' }
 * parseMoney('none')   // → { monthly: null, currency: 'EUR' }
 */
export function parseMoney(v: string): { monthly: number | null; currency: string } {
  if (/^(none|off)$/i.test(v.trim())) return { monthly: null, currency: 'EUR' };
  const m = /^\s*(\d+(?:\.\d{1,2})?)\s*([A-Za-z]{3})?\s*$/.exec(v);
  if (!m) throw new UsageError(`--monthly must be an amount with an optional currency, e.g. 200EUR or 150USD (or none), got "${v}"`);
  return { monthly: Number(m[1]), currency: (m[2] ?? 'EUR').toUpperCase() };
}

const money = (n: number, cur: string) => `${n.toFixed(2)} ${cur}`;

/**
 * One budget as a line: cap, spent, projected and how full.
 *
 * @example
 * budgetLine({ scope: 'installation', project: null, monthly: 200, currency: 'EUR', spent: 10, projected: 50, percent: 25, updatedAt: '' }, colors(false))
 * // → 'installation: 200.00 EUR/month — spent 10.00 EUR, projected 50.00 EUR (25%)'
 */
export function budgetLine(b: Budget, c: Colors): string {
  const pct = `${b.percent}%`;
  const shown = b.percent >= 100 ? c.red(pct) : b.percent >= 80 ? c.yellow(pct) : pct;
  return `${b.scope === 'installation' ? 'installation' : `project ${b.project}`}: ${money(b.monthly, b.currency)}/month — spent ${money(b.spent, b.currency)}, projected ${money(b.projected, b.currency)} (${shown})`;
}

/**
 * `GET /v1/costs` as text: totals, budgets, then one row per instance.
 *
 * @example
 * costsText({ month: '2026-12', totals: [], budgets: [], instances: [] }, colors(false)) // → 'month 2026-12: nothing billed'
 */
export function costsText(v: Costs, c: Colors): string {
  if (!v.instances.length && !v.budgets.length) return `month ${v.month}: nothing billed`;
  const lines = [`month ${v.month}: ${v.totals.map((t) => `spent ${money(t.spent, t.currency)}, projected ${money(t.projected, t.currency)}`).join('; ') || 'nothing billed'}`];
  for (const b of v.budgets) lines.push(budgetLine(b, c));
  if (v.instances.length) {
    lines.push('');
    lines.push(table(['INSTANCE', 'NAME', 'PROVIDER', 'TYPE', 'LOCATION', 'STATUS', 'HOURLY', 'SPENT', 'PROJECTED'], v.instances.map((i) => [i.id.slice(0, 8), i.name, i.provider, i.serverType ?? '', i.location ?? '', i.status, i.hourly ? `${i.hourly.toFixed(4)} ${i.currency}` : '0', money(i.spent, i.currency || ''), money(i.projected, i.currency || '')]), c));
  }
  return lines.join('\n');
}

/** `hangar budget set|show` and `hangar costs`. */
export function registerBudget(program: Command, action: Action): void {
  const budget = program.command('budget').description('monthly budgets: creates that would pass one are refused (402); a warning event at 80% and 100%');
  budget
    .command('set')
    .description('set the monthly cap on projected spend of the installation, or of a project')
    .requiredOption('--monthly <amount>', 'e.g. 200EUR or 150USD; none removes the budget')
    .action(action<CommonOptions & { monthly: string; project?: string }>(async (ctx, _args, opts) => {
      const api = ctx.client().api;
      const b = parseMoney(opts.monthly);
      const out = opts.project
        ? await body(api.PUT('/v1/projects/{project}/budget', { params: { path: { project: opts.project } }, body: b }))
        : await body(api.PUT('/v1/budget', { body: b }));
      if (ctx.json) return ctx.printJson(out);
      const shown = opts.project ? out.project : out.installation;
      ctx.print(shown ? budgetLine(shown, ctx.c) : `${opts.project ? `project ${opts.project}` : 'installation'}: no budget`);
    }));
  budget
    .command('show')
    .description('the budgets that apply, with spend so far and projected this month')
    .action(action<CommonOptions>(async (ctx) => {
      const out = await body(ctx.client().api.GET('/v1/budget'));
      if (ctx.json) return ctx.printJson(out);
      const lines = [out.installation, out.project].filter((b): b is Budget => !!b).map((b) => budgetLine(b, ctx.c));
      ctx.print(lines.length ? lines.join('\n') : 'no budget set (hangar budget set --monthly 200EUR)');
    }));
  program
    .command('costs')
    .description('spend so far this month, projected month, and per instance')
    .action(action<CommonOptions & { project?: string }>(async (ctx, _args, opts) => {
      const out = await body(ctx.client().api.GET('/v1/costs', { params: { query: opts.project ? { project: opts.project } : {} } }));
      if (ctx.json) return ctx.printJson(out);
      ctx.print(costsText(out, ctx.c));
    }));
}
