import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, capacityVerdict, choiceOrder, decide, monthOf, monthSpend, newInstanceCost, spanCost, type BillableSpan } from './budget.ts';

const EUR = (hourly: number, monthly: number) => ({ hourly, monthly, currency: 'EUR' });
const at = (s: string) => new Date(s);

describe('budget arithmetic', () => {
  it('bills started hours, capped at the monthly price', () => {
    const m = monthOf(at('2026-12-10T00:00:00Z'));
    const span = { ...EUR(0.01, 5), start: at('2026-12-01T00:00:00Z'), end: at('2026-12-01T01:30:00Z') };
    expect(spanCost(span, m, at('2026-12-10T00:00:00Z'))).toBeCloseTo(0.02);
    expect(spanCost({ ...span, end: null }, m, m.end)).toBe(5); // 744 h × 0.01 = 7.44 > cap 5
    // A span from last month counts only from this month's first hour.
    expect(spanCost({ ...span, start: at('2026-11-30T23:00:00Z'), end: at('2026-12-01T00:30:00Z') }, m, m.end)).toBeCloseTo(0.01);
    expect(spanCost({ ...span, start: at('2026-11-01T00:00:00Z'), end: at('2026-11-02T00:00:00Z') }, m, m.end)).toBe(0);
  });

  it('splits spend so far from the projected month', () => {
    const spans: BillableSpan[] = [
      { ...EUR(0.01, 5), start: at('2026-12-01T00:00:00Z'), end: null },
      { ...EUR(0.1, 50), start: at('2026-12-01T00:00:00Z'), end: at('2026-12-01T02:00:00Z') },
    ];
    expect(monthSpend(spans, at('2026-12-01T10:00:00Z'))).toEqual({ month: '2026-12', spent: 0.3, projected: 5.2 });
  });

  it('prices a new instance for the hours left in the month', () => {
    expect(newInstanceCost(EUR(0.01, 5), at('2026-12-31T22:30:00Z'))).toBeCloseTo(0.02);
    expect(newInstanceCost(EUR(0.01, 5), at('2026-12-01T00:00:00Z'))).toBe(5);
  });

  it('refuses what passes the cap, warns at 80% and 100%, refuses another currency', () => {
    const cap = { monthly: 10, currency: 'EUR' };
    expect(decide(cap, 7, 1, 'EUR')).toEqual({ allowed: true, projectedAfter: 8, warn: [80] });
    expect(decide(cap, 7, 3, 'EUR')).toEqual({ allowed: true, projectedAfter: 10, warn: [80, 100] });
    expect(decide(cap, 9, 2, 'EUR')).toMatchObject({ allowed: false, reason: 'over_cap', projected: 9, price: 2 });
    expect(decide(cap, 0, 1, 'USD')).toMatchObject({ allowed: false, reason: 'currency' });
    expect(decide(cap, 12, 0, '')).toMatchObject({ allowed: true }); // free (local, ssh) always passes
    expect(decide(null, 1e9, 1e9, 'USD').allowed).toBe(true);
  });

  it('names the cap, the running total and the price in the 402', () => {
    const d = decide({ monthly: 10, currency: 'EUR' }, 9, 2, 'EUR');
    if (d.allowed) throw new Error('expected a refusal');
    const err = new BudgetExceededError(d, '*');
    expect(err.status).toBe(402);
    expect(err.message).toMatch(/2\.00 EUR.*9\.00 EUR projected.*10\.00 EUR of the installation/);
    expect(err.extensions).toEqual({ cap: 10, currency: 'EUR', projected: 9, price: 2, priceCurrency: 'EUR', scope: '*' });
  });

  it('property: accepting creates one by one never passes the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 60 }), (cap, prices) => {
        let projected = 0;
        for (const p of prices) {
          const d = decide({ monthly: cap, currency: 'EUR' }, projected, p, 'EUR');
          if (d.allowed) projected = d.projectedAfter;
        }
        expect(projected).toBeLessThanOrEqual(cap);
      }),
    );
  });

  it('property: a span never costs more than its monthly cap nor less than 0, and grows with time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 0, max: 40 * 24 }), fc.double({ min: 0, max: 2, noNaN: true }), (a, b, hourly) => {
        const m = monthOf(at('2026-12-15T00:00:00Z'));
        const start = new Date(m.start.getTime() - 5 * 86_400_000 + a * 3_600_000);
        const span = { hourly, monthly: 100, currency: 'EUR', start, end: null };
        const t1 = new Date(start.getTime() + b * 1_800_000);
        const c1 = spanCost(span, m, t1);
        const c2 = spanCost(span, m, new Date(t1.getTime() + 3_600_000));
        expect(c1).toBeGreaterThanOrEqual(0);
        expect(c2).toBeLessThanOrEqual(100);
        expect(c2).toBeGreaterThanOrEqual(c1);
      }),
    );
  });
});

describe('capacity choices', () => {
  it('orders each type at each location, type first, without duplicates', () => {
    expect(choiceOrder(['cpx22', 'cx32'], ['nbg1', 'fsn1', 'nbg1'])).toEqual([
      { serverType: 'cpx22', location: 'nbg1' },
      { serverType: 'cpx22', location: 'fsn1' },
      { serverType: 'cx32', location: 'nbg1' },
      { serverType: 'cx32', location: 'fsn1' },
    ]);
    expect(choiceOrder([], [])).toEqual([{ serverType: null, location: null }]);
  });

  it('property: every pair appears once, and the first type comes first', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 5 }), fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 5 }), (types, locs) => {
        const order = choiceOrder(types, locs);
        expect(order).toHaveLength(types.length * locs.length);
        expect(new Set(order.map((c) => `${c.serverType}/${c.location}`)).size).toBe(order.length);
        expect(order.slice(0, locs.length).every((c) => c.serverType === types[0])).toBe(true);
      }),
    );
  });

  it('moves on for capacity, stops for quota, leaves the rest to retries', () => {
    expect(['resource_unavailable', 'placement_error', 'region_unavailable', 'size_unavailable'].map(capacityVerdict)).toEqual(Array(4).fill('next_choice'));
    expect(capacityVerdict('resource_limit_exceeded')).toBe('fail_now');
    expect(capacityVerdict('rate_limit_exceeded')).toBe('retry');
  });
});
