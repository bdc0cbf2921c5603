import { afterEach, describe, expect, it } from 'vitest';
import { RestClient, type FetchLike } from './client.ts';
import type { Clock } from './clock.ts';
import { ManualClock } from './clock.testing.ts';
import { RateLimitGovernor, governorFor, resetGovernors, tokenKey } from './governor.ts';
import { DIGITAL_OCEAN_RATE_LIMIT, HETZNER_RATE_LIMIT, type RateLimitPolicy } from './policies.ts';

afterEach(() => resetGovernors());

/** Deliver a response after `latencyMs` of (fake) network time. */
function later(clock: Clock, latencyMs: number, make: () => Response): Promise<Response> {
  return new Promise((resolve) => clock.setTimeout(() => resolve(make()), latencyMs));
}

/**
 * A Hetzner-like server: a token bucket (capacity, refill per second) that answers with
 * `RateLimit-Limit/-Remaining/-Reset` (reset = unix second when full again) and `Date`.
 */
function tokenBucketServer(clock: Clock, capacity: number, refillPerSec: number, latencyMs = 40) {
  let tokens = capacity;
  let at = clock.now();
  const stats = { ok: 0, limited: 0 };
  const fetch: FetchLike = async () => {
    const now = clock.now();
    tokens = Math.min(capacity, tokens + ((now - at) / 1000) * refillPerSec);
    at = now;
    let status = 200;
    if (tokens >= 1) {
      tokens -= 1;
      stats.ok++;
    } else {
      status = 429;
      stats.limited++;
    }
    const fullAt = now + ((capacity - tokens) / refillPerSec) * 1000;
    const headers = {
      'content-type': 'application/json',
      'RateLimit-Limit': String(capacity),
      'RateLimit-Remaining': String(Math.floor(tokens)),
      'RateLimit-Reset': String(Math.ceil(fullAt / 1000)),
      Date: new Date(now).toUTCString(),
    };
    const body = status === 429 ? { error: { code: 'rate_limit_exceeded', message: 'limit' } } : { ok: true };
    return later(clock, latencyMs, () => new Response(JSON.stringify(body), { status, headers }));
  };
  return { fetch, stats };
}

/**
 * A DigitalOcean-like server: every request counts for `windowMs` (sliding window), headers
 * `ratelimit-limit/-remaining/-reset` (reset = when the oldest counted request expires), plus an
 * optional burst limit that is NOT advertised and answers 429 with `retry-after`.
 */
function slidingWindowServer(clock: Clock, limit: number, windowMs: number, burst?: { limit: number; windowMs: number }, latencyMs = 40) {
  const log: number[] = [];
  const burstLog: number[] = [];
  const stats = { ok: 0, limited: 0 };
  const fetch: FetchLike = async () => {
    const now = clock.now();
    while (log.length && log[0] <= now - windowMs) log.shift();
    while (burstLog.length && burst && burstLog[0] <= now - burst.windowMs) burstLog.shift();
    let status = 200;
    let retryAfter: string | undefined;
    if (log.length >= limit) {
      status = 429;
      retryAfter = String(Math.ceil((log[0] + windowMs - now) / 1000));
    } else if (burst && burstLog.length >= burst.limit) {
      status = 429;
      retryAfter = String(Math.ceil((burstLog[0] + burst.windowMs - now) / 1000));
    } else {
      log.push(now);
      burstLog.push(now);
    }
    if (status === 429) stats.limited++;
    else stats.ok++;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(0, limit - log.length)),
      'ratelimit-reset': String(Math.ceil(((log[0] ?? now) + windowMs) / 1000)),
    };
    if (retryAfter) headers['retry-after'] = retryAfter;
    const body = status === 429 ? { id: 'too_many_requests', message: 'API Rate limit exceeded.' } : { ok: true };
    return later(clock, latencyMs, () => new Response(JSON.stringify(body), { status, headers }));
  };
  return { fetch, stats };
}

/** A client without a per-call deadline: these bursts take minutes of (fake) time on purpose. */
function client(clock: ManualClock, fetch: FetchLike, governor: RateLimitGovernor | null) {
  return new RestClient({ provider: 'test', baseUrl: 'http://api.test', token: 't', fetch, clock, deadlineMs: 0, ...(governor ? { governor } : { rateLimit: null }) });
}

async function burst(clock: ManualClock, c: RestClient, n: number) {
  const start = clock.now();
  const results = await clock.run(Promise.all(Array.from({ length: n }, () => c.get<{ ok: boolean }>('/x'))));
  return { results, elapsedMs: clock.now() - start };
}

describe('RateLimitGovernor', () => {
  it('sends one probe at a time until a response teaches the budget, then bursts', async () => {
    const clock = new ManualClock();
    const gov = new RateLimitGovernor(HETZNER_RATE_LIMIT, { clock });
    const granted: number[] = [];
    const permits = Array.from({ length: 5 }, (_, i) => gov.acquire().then((p) => (granted.push(i), p)));
    await clock.advance(0);
    expect(granted).toEqual([0]);
    const first = await permits[0];
    first.done({
      status: 200,
      headers: new Headers({ 'RateLimit-Limit': '3600', 'RateLimit-Remaining': '3599', 'RateLimit-Reset': String(Math.ceil(clock.now() / 1000) + 1) }),
    });
    await clock.advance(0);
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    expect(gov.state()).toMatchObject({ mode: 'learned', limit: 3600, inFlight: 4 });
  });

  it('falls back to the configured budget when the server sends no headers', async () => {
    const clock = new ManualClock();
    const gov = new RateLimitGovernor({ vendor: 'x', reset: 'full', initial: { limit: 5, windowMs: 5000 } }, { clock });
    const p = await gov.acquire();
    p.done({ status: 200, headers: new Headers() });
    const t0 = clock.now();
    const times: number[] = [];
    await clock.run(
      Promise.all(
        Array.from({ length: 8 }, () =>
          gov.acquire().then((permit) => {
            times.push(clock.now() - t0);
            permit.done({ status: 200, headers: new Headers() });
          }),
        ),
      ),
    );
    // 4 tokens left after the probe, then one per second.
    expect(times.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(times.slice(4)).toEqual([1000, 2000, 3000, 4000]);
  });

  it('spreads the remaining calls over the time to the reset when remaining is low', async () => {
    const clock = new ManualClock();
    const gov = new RateLimitGovernor({ ...DIGITAL_OCEAN_RATE_LIMIT, windows: [] }, { clock });
    const probe = await gov.acquire();
    // 4 of 100 left, oldest request expires in 40 s: at most 4 calls over those 40 s.
    probe.done({ status: 200, headers: new Headers({ 'ratelimit-limit': '100', 'ratelimit-remaining': '4', 'ratelimit-reset': String(clock.now() / 1000 + 40) }) });
    const t0 = clock.now();
    const times: number[] = [];
    await clock.run(Promise.all(Array.from({ length: 4 }, () => gov.acquire().then(() => times.push(clock.now() - t0)))));
    // Evenly spaced after the probe (which went at t0): ~41 s / 4 apart, the last by the reset.
    expect(times[0]).toBeGreaterThanOrEqual(9_000);
    for (let i = 1; i < 4; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(9_000);
    expect(times[3]).toBeLessThanOrEqual(41_000);
  });

  it('after a 429 holds every call until retry-after, then probes', async () => {
    const clock = new ManualClock();
    const gov = new RateLimitGovernor(DIGITAL_OCEAN_RATE_LIMIT, { clock });
    const p = await gov.acquire();
    const verdict = p.done({ status: 429, headers: new Headers({ 'retry-after': '29', 'ratelimit-limit': '5000', 'ratelimit-remaining': '0' }) });
    expect(verdict).toEqual({ limited: true, waitMs: 29_000 });
    const t0 = clock.now();
    let grantedAt = -1;
    await clock.run(gov.acquire().then(() => (grantedAt = clock.now() - t0)));
    expect(grantedAt).toBe(29_000);
  });

  it('rejects a queued acquire when its signal aborts', async () => {
    const clock = new ManualClock();
    const gov = new RateLimitGovernor(HETZNER_RATE_LIMIT, { clock });
    await gov.acquire(); // probe in flight: the next waits
    const ac = new AbortController();
    const queued = gov.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(queued).rejects.toThrow('stop');
    expect(gov.state().queued).toBe(0);
  });
});

describe('governorFor', () => {
  it('shares one governor per vendor and token, keyed by a hash', () => {
    const a = governorFor('secret-token', HETZNER_RATE_LIMIT);
    expect(governorFor('secret-token', HETZNER_RATE_LIMIT)).toBe(a);
    expect(governorFor('other-token', HETZNER_RATE_LIMIT)).not.toBe(a);
    expect(governorFor('secret-token', DIGITAL_OCEAN_RATE_LIMIT)).not.toBe(a);
    expect(tokenKey('hetzner', 'secret-token')).not.toContain('secret');
  });

  it('is shared by REST clients built with the same token', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const fetch: FetchLike = async () => {
      seen.push('call');
      return new Response('{}', { status: 200, headers: { 'RateLimit-Limit': '3600', 'RateLimit-Remaining': '3599' } });
    };
    const c1 = new RestClient({ provider: 'hetzner', baseUrl: 'http://a', token: 'same', fetch, clock, rateLimit: HETZNER_RATE_LIMIT });
    const c2 = new RestClient({ provider: 'hetzner', baseUrl: 'http://a', token: 'same', fetch, clock, rateLimit: HETZNER_RATE_LIMIT });
    await clock.run(Promise.all([c1.get('/x'), c2.get('/y')]));
    expect(governorFor('same', HETZNER_RATE_LIMIT).state()).toMatchObject({ mode: 'learned', inFlight: 0 });
  });
});

describe('bursts against simulated servers', () => {
  it('a burst of 200 against a token bucket (20, +4/s) gets zero 429s', async () => {
    const clock = new ManualClock();
    const server = tokenBucketServer(clock, 20, 4);
    const gov = new RateLimitGovernor(HETZNER_RATE_LIMIT, { clock }); // assumes 3600/h until told
    const { results, elapsedMs } = await burst(clock, client(clock, server.fetch, gov), 200);
    expect(results).toHaveLength(200);
    expect(server.stats).toEqual({ ok: 200, limited: 0 });
    // 20 at once, then 180 at 4/s needs 45 s; pacing must not be much slower than that.
    expect(elapsedMs).toBeGreaterThanOrEqual(45_000);
    expect(elapsedMs).toBeLessThan(70_000);
  });

  it('the same burst without the governor trips the limit (the server is real)', async () => {
    const clock = new ManualClock();
    const server = tokenBucketServer(clock, 20, 4);
    const c = new RestClient({ provider: 'test', baseUrl: 'http://api.test', token: 't', fetch: server.fetch, clock, rateLimit: null, maxRateLimitRetries: 0 });
    const outcomes = await clock.run(Promise.allSettled(Array.from({ length: 200 }, () => c.get('/x'))));
    expect(server.stats.limited).toBeGreaterThan(150);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(server.stats.limited);
  });

  it('a burst of 200 against a sliding window (30 per 10 s, reset = oldest expiry) gets zero 429s', async () => {
    const clock = new ManualClock();
    const server = slidingWindowServer(clock, 30, 10_000);
    const gov = new RateLimitGovernor({ ...DIGITAL_OCEAN_RATE_LIMIT, windows: [] }, { clock });
    const { elapsedMs } = await burst(clock, client(clock, server.fetch, gov), 200);
    expect(server.stats).toEqual({ ok: 200, limited: 0 });
    expect(elapsedMs).toBeGreaterThanOrEqual(60_000); // 7 windows' worth
    expect(elapsedMs).toBeLessThan(130_000);
  });

  it('keeps an unadvertised burst limit (DigitalOcean 250/min, scaled to 25/10 s) locally', async () => {
    const clock = new ManualClock();
    const server = slidingWindowServer(clock, 5000, 3600_000, { limit: 25, windowMs: 10_000 });
    const policy: RateLimitPolicy = { ...DIGITAL_OCEAN_RATE_LIMIT, windows: [{ limit: 25, windowMs: 10_000 }] };
    const gov = new RateLimitGovernor(policy, { clock });
    const { elapsedMs } = await burst(clock, client(clock, server.fetch, gov), 200);
    expect(server.stats).toEqual({ ok: 200, limited: 0 });
    expect(elapsedMs).toBeGreaterThanOrEqual(70_000);
    expect(elapsedMs).toBeLessThan(90_000);
  });

  it('two clients on one token share the budget: still zero 429s', async () => {
    const clock = new ManualClock();
    const server = tokenBucketServer(clock, 20, 4);
    const gov = new RateLimitGovernor(HETZNER_RATE_LIMIT, { clock });
    const a = client(clock, server.fetch, gov);
    const b = client(clock, server.fetch, gov);
    await clock.run(Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).get('/x'))));
    expect(server.stats).toEqual({ ok: 100, limited: 0 });
  });

  it('a 429 caused elsewhere (budget drained by another process) is waited out and retried, for POST too', async () => {
    const clock = new ManualClock();
    const server = slidingWindowServer(clock, 10, 20_000);
    const drain = client(clock, server.fetch, null);
    await clock.run(Promise.all(Array.from({ length: 10 }, () => drain.get('/x')))); // another process spends it all
    const gov = new RateLimitGovernor({ ...DIGITAL_OCEAN_RATE_LIMIT, windows: [] }, { clock });
    const c = client(clock, server.fetch, gov);
    const t0 = clock.now();
    const res = await clock.run(c.post<{ ok: boolean }>('/create', { a: 1 }));
    expect(res).toEqual({ ok: true });
    expect(server.stats.limited).toBe(1);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(19_000);
  });
});
