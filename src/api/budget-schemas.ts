import { z } from 'zod';

/** The body of `PUT /v1/budget` and `PUT /v1/projects/{project}/budget`: a monthly cap, or null to remove it. */
export const SetBudget = z
  .object({
    monthly: z.number().min(0).max(10_000_000).nullable().describe('the cap on projected spend per calendar month (UTC); null removes the budget'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in capitals, e.g. EUR or USD').default('EUR').describe('the currency the cap is in; servers priced in another currency are refused while it is set'),
  })
  .strict();

export const ProjectParam = z.object({ project: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a project name: lowercase letters, digits, dashes') });
export const CostsQuery = z.object({ project: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a project name: lowercase letters, digits, dashes').optional().describe('admins: one project (default: the whole installation)') }).strict();

export const Budget = z.object({
  scope: z.enum(['installation', 'project']),
  project: z.string().nullable(),
  monthly: z.number(),
  currency: z.string(),
  spent: z.number().describe('spent so far this month, in the budget currency'),
  projected: z.number().describe('projected for the whole month if every instance keeps running'),
  percent: z.number().describe('projected as a percentage of the cap'),
  updatedAt: z.string().meta({ format: 'date-time' }),
});

export const BudgetState = z.object({ installation: Budget.nullable(), project: Budget.nullable() });

export const Costs = z.object({
  month: z.string().describe('YYYY-MM (UTC)'),
  totals: z.array(z.object({ currency: z.string(), spent: z.number(), projected: z.number() })),
  budgets: z.array(Budget),
  instances: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      provider: z.string(),
      serverType: z.string().nullable(),
      location: z.string().nullable(),
      status: z.string(),
      hourly: z.number(),
      monthly: z.number(),
      currency: z.string(),
      spent: z.number(),
      projected: z.number(),
    }),
  ),
});
