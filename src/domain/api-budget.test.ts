import { describe, expect, it } from 'vitest';
import { availableTokens, initialBudget, laneReserve, settleCall, takeToken, type BudgetPolicy, type BudgetState } from './api-budget.ts';

const HZ: BudgetPolicy = { vendor: 'hetzner', reset: 'full', initial: { limit: 3600, windowMs: 3600_000 } };
const DO: BudgetPolicy = { vendor: 'digital-ocean', reset: 'oldest', initial: { limit: 5000, windowMs: 3600_000 }, burst: { limit: 250, windowMs: 60_000 } };
const T0 = Date.UTC(2026, 0, 1);

/** Take one token or fail the test. */
function take(s: BudgetState, lane: 'urgent' | 'create' | 'list', now: number): BudgetState {
  const d = takeToken(s, lane, now);
  if (!d.granted) throw new Error(`not granted; retry at +${d.retryAt - now} ms`);
  return d.state;
}

/** A learned Hetzner budget with `remaining` left, full again in `(limit - remaining)` seconds. */
function hetzner(remaining: number, limit = 3600, now = T0): BudgetState {
  const s = take(initialBudget(HZ, now), 'urgent', now);
  return settleCall(s, now, { status: 200, headers: { limit, remaining, resetAt: now + (limit - remaining) * 1000, retryAfterMs: null } }, HZ);
}

describe('shared API budget arithmetic', () => {
  it('probes once while unknown, then learns limit, remaining and refill rate', () => {
    let s = initialBudget(HZ, T0);
    s = take(s, 'list', T0);
    const second = takeToken(s, 'urgent', T0);
    expect(second.granted).toBe(false); // one probe at a time
    s = settleCall(s, T0 + 50, { status: 200, headers: { limit: 3600, remaining: 3000, resetAt: T0 + 50 + 600_000, retryAfterMs: null } }, HZ);
    expect(s.mode).toBe('learned');
    expect(s.tokens).toBe(3000);
    expect(s.inFlight).toBe(0);
    // 600 missing over 601 s (reset + 1 s slack): just under one per second.
    expect(s.rate * 1000).toBeCloseTo(600 / 601, 5);
    expect(availableTokens(s, T0 + 50 + 10_000)).toBeCloseTo(3000 + 10_000 * s.rate, 5);
  });

  it('counts calls in flight across replicas against the budget', () => {
    let s = hetzner(3);
    s = take(s, 'urgent', T0);
    s = take(s, 'urgent', T0);
    expect(s.inFlight).toBe(2);
    expect(availableTokens(s, T0)).toBe(1);
    // A response that still counts the other call: remaining 1 while 1 is in flight → 0 free.
    s = settleCall(s, T0 + 10, { status: 200, headers: { limit: 3600, remaining: 1, resetAt: T0 + 3_599_000, retryAfterMs: null } }, HZ);
    expect(availableTokens(s, T0 + 10)).toBeCloseTo(0, 1);
  });

  it('lanes: urgent may spend the last token, create leaves 2 %, list leaves 10 %', () => {
    expect(laneReserve('urgent', 3600)).toBe(0);
    expect(laneReserve('create', 3600)).toBe(72);
    expect(laneReserve('list', 3600)).toBe(360);
    const s = hetzner(100);
    expect(takeToken(s, 'list', T0).granted).toBe(false);
    expect(takeToken(s, 'create', T0).granted).toBe(true);
    const low = hetzner(50);
    const create = takeToken(low, 'create', T0);
    expect(create.granted).toBe(false);
    // It waits for the refill to bring the bucket to 73 (reserve + 1), not for the full reset.
    if (!create.granted) expect(create.retryAt - T0).toBe(Math.ceil(23 / low.rate));
    expect(takeToken(low, 'urgent', T0).granted).toBe(true);
  });

  it('a create waits for the refill instead of failing, and gets its token when it is back', () => {
    let s = hetzner(74); // create needs 73
    s = take(s, 'create', T0);
    s = take(s, 'create', T0);
    const d = takeToken(s, 'create', T0);
    expect(d.granted).toBe(false);
    if (d.granted) return;
    expect(takeToken(s, 'create', d.retryAt).granted).toBe(true);
  });

  it('a 429 blocks every lane until retry-after, then probes again', () => {
    let s = take(hetzner(10), 'urgent', T0);
    s = settleCall(s, T0 + 5, { status: 429, headers: { limit: 3600, remaining: 0, resetAt: T0 + 3_600_000, retryAfterMs: 7000 } }, HZ);
    expect(s.limited).toBe(1);
    const d = takeToken(s, 'urgent', T0 + 6000);
    expect(d.granted).toBe(false);
    if (!d.granted) expect(d.retryAt).toBe(T0 + 5 + 7000);
    expect(takeToken(s, 'urgent', T0 + 7005).granted).toBe(true);
  });

  it('DigitalOcean: remaining 0 from the 250/minute burst waits at most a minute, not the hourly reset', () => {
    let s = take(initialBudget(DO, T0), 'urgent', T0);
    // The burst limit drives remaining to 0 while the hourly reset is 59 minutes away.
    s = settleCall(s, T0 + 10, { status: 200, headers: { limit: 5000, remaining: 0, resetAt: T0 + 59 * 60_000, retryAfterMs: null } }, DO);
    const d = takeToken(s, 'urgent', T0 + 20);
    expect(d.granted).toBe(false);
    if (!d.granted) expect(d.retryAt - (T0 + 10)).toBeLessThanOrEqual(60_000);
    // Then it probes once, and learns again.
    expect(takeToken(s, 'urgent', T0 + 10 + 60_000).granted).toBe(true);
  });

  it('DigitalOcean: a burst 429 follows retry-after', () => {
    let s = take(initialBudget(DO, T0), 'urgent', T0);
    s = settleCall(s, T0, { status: 429, headers: { limit: 5000, remaining: 0, resetAt: T0 + 3_000_000, retryAfterMs: 29_000 } }, DO);
    expect(s.blockedUntil).toBe(T0 + 29_000);
  });

  it('the burst bucket keeps any minute at or under 250 calls', () => {
    let s = take(initialBudget(DO, T0), 'urgent', T0);
    s = settleCall(s, T0, { status: 200, headers: { limit: 5000, remaining: 4999, resetAt: T0 + 3_600_000, retryAfterMs: null } }, DO);
    const times: number[] = [T0];
    let now = T0;
    while (now < T0 + 180_000) {
      const d = takeToken(s, 'urgent', now);
      if (d.granted) {
        s = settleCall(d.state, now, { status: 200, headers: { limit: 5000, remaining: 4999 - times.length, resetAt: T0 + 3_600_000, retryAfterMs: null } }, DO);
        times.push(now);
      } else now = d.retryAt;
    }
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(250);
    }
    expect(times.length).toBeGreaterThan(500); // it still uses the budget: ~250/minute after the first
  });

  it('forgets calls in flight of a replica that died', () => {
    let s = hetzner(3600);
    s = take(s, 'urgent', T0);
    expect(s.inFlight).toBe(1);
    const later = takeToken(s, 'urgent', T0 + 180_000);
    expect(later.granted && later.state.inFlight).toBe(1);
  });
});
