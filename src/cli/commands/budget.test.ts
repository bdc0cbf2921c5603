import { describe, expect, it } from 'vitest';
import { colors } from '../output.ts';
import { budgetLine, costsText, parseMoney } from './budget.ts';

describe('hangar budget / costs', () => {
  it('reads a monthly amount with its currency, or none', () => {
    expect(parseMoney('200EUR')).toEqual({ monthly: 200, currency: 'EUR' });
    expect(parseMoney('150.5 usd')).toEqual({ monthly: 150.5, currency: 'USD' });
    expect(parseMoney('80')).toEqual({ monthly: 80, currency: 'EUR' });
    expect(parseMoney('none')).toEqual({ monthly: null, currency: 'EUR' });
    expect(() => parseMoney('lots')).toThrow(/--monthly must be an amount/);
    expect(() => parseMoney('-5EUR')).toThrow(/--monthly/);
  });

  it('shows a budget with spend and how full it is', () => {
    expect(budgetLine({ scope: 'project', project: 'web', monthly: 100, currency: 'EUR', spent: 3, projected: 85, percent: 85, updatedAt: '' }, colors(false))).toBe('project web: 100.00 EUR/month — spent 3.00 EUR, projected 85.00 EUR (85%)');
  });

  it('lists costs per instance under the totals', () => {
    const text = costsText(
      {
        month: '2026-12',
        totals: [{ currency: 'EUR', spent: 1.2, projected: 5.99 }],
        budgets: [],
        instances: [{ id: '5aa2f4bc-0000-4000-8000-000000000000', name: 'a', provider: 'hetzner', serverType: 'cpx22', location: 'nbg1', status: 'running', hourly: 0.0096, monthly: 5.99, currency: 'EUR', spent: 1.2, projected: 5.99 }],
      },
      colors(false),
    );
    expect(text).toMatch(/^month 2026-12: spent 1\.20 EUR, projected 5\.99 EUR/);
    expect(text).toMatch(/5aa2f4bc\s+a\s+hetzner\s+cpx22\s+nbg1\s+running\s+0\.0096 EUR\s+1\.20 EUR\s+5\.99 EUR/);
  });
});
