import { describe, expect, it } from 'vitest';
import { RateLimitBucket } from './bucket.ts';
import { DIGITAL_OCEAN_RATE_LIMIT, HETZNER_RATE_LIMIT } from './policies.ts';

const T0 = Date.UTC(2026, 0, 1);
const headers = (h: Record<string, string>) => ({ status: 200, headers: new Headers(h) });

describe('RateLimitBucket', () => {
  it('knows nothing at first: one probe, then wait for its answer', () => {
    const b = new RateLimitBucket(HETZNER_RATE_LIMIT);
    expect(b.nextGrantTime(T0)).toBe(T0);
    b.grant(T0);
    expect(b.nextGrantTime(T0)).toBe(Infinity);
    expect(b.state(T0)).toMatchObject({ mode: 'unknown', inFlight: 1 });
  });

  it('learns remaining and the refill rate of a refilling bucket from the headers', () => {
    const b = new RateLimitBucket(HETZNER_RATE_LIMIT);
    b.grant(T0);
    // 10 missing, full again in 9 s (+1 s slack): one back per second.
    expect(b.settle(T0, headers({ 'ratelimit-limit': '100', 'ratelimit-remaining': '90', 'ratelimit-reset': String(T0 / 1000 + 9) }))).toEqual({ limited: false, waitMs: 0 });
    expect(b.state(T0)).toMatchObject({ mode: 'learned', limit: 100, tokens: 90, ratePerSecond: 1, inFlight: 0 });
    expect(b.nextGrantTime(T0)).toBe(T0);
  });

  it('with no token left, waits for the refill of one', () => {
    const b = new RateLimitBucket(HETZNER_RATE_LIMIT);
    b.grant(T0);
    b.settle(T0, headers({ 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': String(T0 / 1000 + 99) }));
    expect(b.nextGrantTime(T0)).toBe(T0 + 1000);
  });

  it('a sliding window waits for the reset, then probes again', () => {
    const b = new RateLimitBucket({ ...DIGITAL_OCEAN_RATE_LIMIT, windows: [] });
    b.grant(T0);
    b.settle(T0, headers({ 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(T0 / 1000 + 30) }));
    expect(b.nextGrantTime(T0)).toBe(T0 + 31_000);
    expect(b.nextGrantTime(T0 + 31_000)).toBe(T0 + 31_000);
    expect(b.state(T0 + 31_000).mode).toBe('unknown');
  });

  it('keeps an unadvertised window locally', () => {
    const b = new RateLimitBucket({ vendor: 'v', reset: 'full', initial: { limit: 1000, windowMs: 1000 }, windows: [{ limit: 2, windowMs: 10_000 }] });
    b.grant(T0);
    b.settle(T0, headers({}));
    b.grant(T0);
    expect(b.nextGrantTime(T0 + 1)).toBe(T0 + 10_000);
  });

  it('a 429 blocks until retry-after and forgets what it knew', () => {
    const b = new RateLimitBucket(HETZNER_RATE_LIMIT);
    b.grant(T0);
    b.settle(T0, headers({ 'ratelimit-limit': '100', 'ratelimit-remaining': '50' }));
    b.grant(T0);
    expect(b.settle(T0, { status: 429, headers: new Headers({ 'retry-after': '7' }) })).toEqual({ limited: true, waitMs: 7000 });
    expect(b.state(T0)).toMatchObject({ mode: 'unknown', blockedUntil: T0 + 7000, inFlight: 0 });
    expect(b.nextGrantTime(T0)).toBe(T0 + 7000);
  });
});

describe('DigitalOcean burst: remaining 0 with the hourly reset far away', () => {
  it('probes again after the burst window, not at the hourly reset', () => {
    const b = new RateLimitBucket(DIGITAL_OCEAN_RATE_LIMIT);
    const t0 = Date.UTC(2026, 0, 1);
    b.grant(t0);
    const headers = new Headers({ 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(Math.ceil((t0 + 59 * 60_000) / 1000)) });
    b.settle(t0, { status: 200, headers });
    const next = b.nextGrantTime(t0 + 1);
    expect(next - t0).toBeGreaterThan(0);
    expect(next - t0).toBeLessThanOrEqual(60_000);
  });
});
