import { describe, expect, it } from 'vitest';
import { initialBudget, settleCall, takeToken, type ApiLane, type BudgetPolicy, type BudgetState, type CallOutcome } from '../domain/api-budget.ts';
import { RestClient, type FetchLike } from './client.ts';
import type { Clock } from './clock.ts';
import { ManualClock } from './clock.testing.ts';
import { withApiLane, type QueuedCall } from './lanes.ts';
import type { RateLimitPolicy } from './policies.ts';
import { SharedGovernor, type SharedBudgetStore } from './shared-governor.ts';

/** The database row's semantics in memory: one state per key, changed atomically (a tick later, like a round trip). */
class MemoryBudget implements SharedBudgetStore {
  readonly rows = new Map<string, BudgetState>();
  constructor(private readonly clock: Clock) {}
  private async tick() {
    await new Promise((r) => setImmediate(r));
  }
  async take(key: string, lane: ApiLane, now: number, policy: BudgetPolicy) {
    await this.tick();
    const d = takeToken(this.rows.get(key) ?? initialBudget(policy, now), lane, now);
    this.rows.set(key, d.state);
    return { granted: d.granted, retryAt: d.granted ? now : d.retryAt };
  }
  async settle(key: string, now: number, outcome: CallOutcome | null, policy: BudgetPolicy) {
    await this.tick();
    this.rows.set(key, settleCall(this.rows.get(key) ?? initialBudget(policy, now), now, outcome, policy));
  }
}

/** A Hetzner-like token bucket server (capacity, refill/s) with RateLimit-* headers. */
function hetznerLike(clock: Clock, capacity: number, refillPerSec: number) {
  let tokens = capacity;
  let at = clock.now();
  const stats = { ok: 0, limited: 0, order: [] as string[] };
  const fetch: FetchLike = async (url, init) => {
    const now = clock.now();
    tokens = Math.min(capacity, tokens + ((now - at) / 1000) * refillPerSec);
    at = now;
    let status = 200;
    if (tokens >= 1) {
      tokens -= 1;
      stats.ok++;
      stats.order.push(`${init.method} ${new URL(url).pathname}`);
    } else {
      status = 429;
      stats.limited++;
    }
    const headers = { 'content-type': 'application/json', 'RateLimit-Limit': String(capacity), 'RateLimit-Remaining': String(Math.floor(tokens)), 'RateLimit-Reset': String(Math.ceil((now + ((capacity - tokens) / refillPerSec) * 1000) / 1000)), Date: new Date(now).toUTCString() };
    return new Promise((resolve) => clock.setTimeout(() => resolve(new Response(JSON.stringify({ ok: status === 200 }), { status, headers })), 30));
  };
  return { fetch, stats };
}

const POLICY: RateLimitPolicy = { vendor: 'hetzner', reset: 'full', initial: { limit: 3600, windowMs: 3600_000 } };

describe('SharedGovernor: one budget for every replica', () => {
  it('three replicas queue 300 creates against a 60-call bucket (+10/s) with zero 429s, near the bucket bound', async () => {
    const clock = new ManualClock();
    const server = hetznerLike(clock, 60, 10);
    const budget = new MemoryBudget(clock);
    const clients = [0, 1, 2].map((i) => new RestClient({ provider: 'hetzner', baseUrl: 'https://api.test/v1', token: 't', fetch: server.fetch, clock, deadlineMs: 0, governor: new SharedGovernor(`hetzner:shared`, POLICY, budget, clock), random: () => 0.5, headers: { 'x-replica': String(i) } }));
    const start = clock.now();
    const calls = Array.from({ length: 300 }, (_, i) => clients[i % 3].post('/servers', {}));
    await clock.run(Promise.all(calls));
    expect(server.stats.limited).toBe(0);
    expect(server.stats.ok).toBe(300);
    // Bound: 60 at once, then 10/s for the other 240 → 24 s. The headers' 1 s resolution costs a little.
    const took = (clock.now() - start) / 1000;
    expect(took).toBeGreaterThanOrEqual(23);
    expect(took).toBeLessThan(24 * 1.15);
  });

  it('when the budget is low, a delete goes before creates queued earlier, and creates learn their place', async () => {
    const clock = new ManualClock();
    const server = hetznerLike(clock, 10, 1);
    const budget = new MemoryBudget(clock);
    const gov = new SharedGovernor('hetzner:lanes', POLICY, budget, clock);
    const client = new RestClient({ provider: 'hetzner', baseUrl: 'https://api.test/v1', token: 't', fetch: server.fetch, clock, deadlineMs: 0, governor: gov });
    // Spend the bucket down to nothing first.
    await clock.run(Promise.all(Array.from({ length: 10 }, () => client.delete('/warmup'))));
    const queued: QueuedCall[] = [];
    const creates = [1, 2, 3].map((n) => withApiLane({ lane: 'create', onQueued: (q) => queued.push(q) }, () => client.post(`/servers/${n}`, {})));
    await clock.advance(1);
    const del = client.delete('/servers/9');
    await clock.run(Promise.all([...creates, del]));
    const after = server.stats.order.slice(10);
    expect(after[0]).toBe('DELETE /v1/servers/9');
    expect(after.slice(1)).toEqual(['POST /v1/servers/1', 'POST /v1/servers/2', 'POST /v1/servers/3']);
    expect(queued.map((q) => q.position)).toEqual([1, 2, 3]);
    expect(queued.every((q) => q.lane === 'create' && q.vendor === 'hetzner' && q.retryAt != null)).toBe(true);
    expect(server.stats.limited).toBe(0);
  });

  it('a database error delays the call instead of failing it', async () => {
    const clock = new ManualClock();
    const server = hetznerLike(clock, 10, 1);
    const budget = new MemoryBudget(clock);
    let failures = 2;
    const flaky: SharedBudgetStore = {
      take: async (...a) => {
        if (failures-- > 0) throw new Error('connection reset');
        return budget.take(...a);
      },
      settle: (...a) => budget.settle(...a),
    };
    const errors: unknown[] = [];
    const client = new RestClient({ provider: 'hetzner', baseUrl: 'https://api.test/v1', token: 't', fetch: server.fetch, clock, deadlineMs: 0, governor: new SharedGovernor('hetzner:flaky', POLICY, flaky, clock, (e) => errors.push(e)) });
    await clock.run(client.get('/servers'));
    expect(errors).toHaveLength(2);
    expect(server.stats.ok).toBe(1);
  });
});
