/**
 * Budget arithmetic and capacity choices: pure functions over prices, instants and months.
 *
 * Clouds bill by the started hour with a monthly cap (Hetzner's `price_monthly`, DigitalOcean's
 * 672-hour cap): an instance that existed `h` started hours of a month costs
 * `min(h × hourly, monthly)` for that month. The month is the calendar month in UTC.
 */
import { HangarError } from './errors.ts';

const HOUR_MS = 3_600_000;

/** A price as the cloud reports it for one server type at one location. */
export interface UnitPrice {
  hourly: number;
  monthly: number;
  currency: string;
}

/** One instance's billable life: from `start` until `end` (null: still exists). */
export interface BillableSpan extends UnitPrice {
  start: Date;
  end: Date | null;
}

/** The calendar month (UTC) holding `at`: [start, end). */
export interface Month {
  start: Date;
  end: Date;
  /** `YYYY-MM`. */
  key: string;
}

/**
 * The UTC calendar month holding an instant.
 *
 * @example
 * monthOf(new Date('2026-12-03T12:00:00Z')).key // → '2026-12'
 */
export function monthOf(at: Date): Month {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end, key: start.toISOString().slice(0, 7) };
}

/** Round money to the cent, away from float noise. */
export function cents(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * What a span costs within a month: started hours of overlap × hourly, capped at the monthly price.
 * `until` bounds a span that is still open (now for spend so far, the month's end for projection).
 *
 * @example
 * spanCost({ hourly: 0.01, monthly: 5, currency: 'EUR', start: new Date('2026-12-01T00:00Z'), end: new Date('2026-12-01T01:30Z') }, monthOf(new Date('2026-12-02')), new Date('2026-12-02'))
 * // → 0.02 (two started hours)
 */
export function spanCost(span: BillableSpan, month: Month, until: Date): number {
  const from = Math.max(span.start.getTime(), month.start.getTime());
  const to = Math.min((span.end ?? until).getTime(), until.getTime(), month.end.getTime());
  if (to <= from) return 0;
  const hours = Math.ceil((to - from) / HOUR_MS);
  return Math.min(hours * span.hourly, span.monthly);
}

/** Spend of a set of spans in one month: so far (until `now`) and projected (open spans run to the month's end). */
export interface MonthSpend {
  month: string;
  spent: number;
  projected: number;
}

/**
 * Spend so far and projected for the month holding `now`.
 *
 * @example
 * monthSpend([{ hourly: 0.01, monthly: 5, currency: 'EUR', start: new Date('2026-12-01T00:00Z'), end: null }], new Date('2026-12-01T10:00Z'))
 * // → { month: '2026-12', spent: 0.1, projected: 5 }
 */
export function monthSpend(spans: readonly BillableSpan[], now: Date): MonthSpend {
  const month = monthOf(now);
  let spent = 0;
  let projected = 0;
  for (const s of spans) {
    spent += spanCost(s, month, now);
    projected += spanCost(s, month, s.end ? now : month.end);
  }
  return { month: month.key, spent: cents(spent), projected: cents(projected) };
}

/**
 * What a new instance started at `now` would add to this month's projection: the started hours
 * left in the month × hourly, capped at the monthly price.
 *
 * @example
 * newInstanceCost({ hourly: 0.01, monthly: 5, currency: 'EUR' }, new Date('2026-12-31T22:30Z')) // → 0.02
 */
export function newInstanceCost(price: UnitPrice, now: Date): number {
  return cents(spanCost({ ...price, start: now, end: null }, monthOf(now), monthOf(now).end));
}

/** A monthly cap on projected spend. */
export interface Cap {
  monthly: number;
  currency: string;
}

/** The answer to "may this create go ahead": allowed, or refused with the figures that say why. */
export type BudgetDecision =
  | { allowed: true; projectedAfter: number; warn: number[] }
  | { allowed: false; reason: 'over_cap' | 'currency'; cap: Cap; projected: number; price: number; currency: string };

/** Spend thresholds (percent of the cap) that raise a `budget_warning` once per month. */
export const WARN_AT = [80, 100] as const;

/**
 * Whether adding `price` (this month's cost of the new instance, in `currency`) keeps the projected
 * month within the cap; which warning thresholds the projection now reaches. A price in another
 * currency than the cap's is refused (Hangar does not convert currencies); a zero price always passes.
 *
 * @example
 * decide({ monthly: 10, currency: 'EUR' }, 7, 2, 'EUR') // → { allowed: true, projectedAfter: 9, warn: [80] }
 * decide({ monthly: 10, currency: 'EUR' }, 9, 2, 'EUR').allowed // → false
 */
export function decide(cap: Cap | null, projected: number, price: number, currency: string): BudgetDecision {
  const after = cents(projected + price);
  if (!cap) return { allowed: true, projectedAfter: after, warn: [] };
  if (price > 0 && currency !== cap.currency) return { allowed: false, reason: 'currency', cap, projected, price, currency };
  if (price > 0 && after > cap.monthly + 1e-9) return { allowed: false, reason: 'over_cap', cap, projected, price, currency };
  return { allowed: true, projectedAfter: after, warn: WARN_AT.filter((t) => cap.monthly > 0 && after >= (cap.monthly * t) / 100) };
}

/** 402 problem details for a refused create: names the cap, the running total and the price asked. */
export class BudgetExceededError extends HangarError {
  readonly extensions: Record<string, unknown>;
  constructor(d: Extract<BudgetDecision, { allowed: false }>, scope: string) {
    const where = scope === '*' ? 'the installation' : `project ${scope}`;
    super(
      'budget-exceeded',
      d.reason === 'currency'
        ? `the budget of ${where} is in ${d.cap.currency} but this server is priced in ${d.currency}; set the budget in ${d.currency} (hangar budget set) or choose a provider that bills in ${d.cap.currency}`
        : `this server would cost ${d.price.toFixed(2)} ${d.currency} this month; with ${d.projected.toFixed(2)} ${d.cap.currency} projected, that exceeds the monthly budget of ${d.cap.monthly.toFixed(2)} ${d.cap.currency} of ${where}. Destroy instances or raise the budget (hangar budget set --monthly …)`,
      402,
    );
    this.extensions = { cap: d.cap.monthly, currency: d.cap.currency, projected: d.projected, price: d.price, priceCurrency: d.currency, scope };
  }
}

/** One place a create may land: a server type at a location (either left to the provider's default). */
export interface Choice {
  serverType: string | null;
  location: string | null;
}

/**
 * The ordered choices a create walks on capacity errors: each server type in the order given, at
 * each location in the order given (type first: a user who lists `cpx22,cx32` prefers cpx22 at any
 * of their locations over cx32), duplicates dropped.
 *
 * @example
 * choiceOrder(['cpx22', 'cx32'], ['nbg1', 'fsn1'])
 * // → [{cpx22,nbg1}, {cpx22,fsn1}, {cx32,nbg1}, {cx32,fsn1}]
 */
export function choiceOrder(types: readonly string[], locations: readonly string[]): Choice[] {
  const ts = types.length ? [...new Set(types)] : [null];
  const ls = locations.length ? [...new Set(locations)] : [null];
  return ts.flatMap((serverType) => ls.map((location) => ({ serverType, location })));
}

/** How the engine treats a vendor error on create: try the next choice, stop at once, or leave it to the job's retries. */
export type CapacityVerdict = 'next_choice' | 'fail_now' | 'retry';

/**
 * Classify a cloud's error code on server create. Hetzner `resource_unavailable` (412) and
 * `placement_error`, and DigitalOcean's 422 "region/size unavailable" (mapped to
 * `region_unavailable`/`size_unavailable` by the provider) mean "not here, now": next choice.
 * `resource_limit_exceeded` is the account's quota: no other choice helps.
 *
 * @example
 * capacityVerdict('placement_error') // → 'next_choice'
 * capacityVerdict('resource_limit_exceeded') // → 'fail_now'
 */
export function capacityVerdict(code: string): CapacityVerdict {
  if (code === 'resource_unavailable' || code === 'placement_error' || code === 'region_unavailable' || code === 'size_unavailable') return 'next_choice';
  if (code === 'resource_limit_exceeded' || code === 'limit_exceeded') return 'fail_now';
  return 'retry';
}
