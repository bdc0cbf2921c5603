/**
 * Warm pools end to end on the local provider (real agents): a pool fills with servers whose
 * agents are connected and idle; a matching create claims one and is running after configure +
 * workload only; the pool refills; deleting the pool destroys its unclaimed servers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

const started: TestHangar[] = [];
afterAll(async () => {
  for (const h of started) await h.close();
});

interface PoolJson { name: string; warm: number; starting: number; ready: number; paused: boolean }

async function waitForPool(h: TestHangar, name: string, pred: (p: PoolJson) => boolean, timeoutMs = 90_000): Promise<PoolJson> {
  const deadline = Date.now() + timeoutMs;
  let last: PoolJson | undefined;
  while (Date.now() < deadline) {
    // A keep-alive socket the server just closed fails a request now and then: look again.
    const res = await h.api('/v1/pools').catch(() => null);
    if (res) last = ((await res.json()).items as PoolJson[]).find((p) => p.name === name);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`pool ${name} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

describe('warm pools', () => {
  it('fills, a matching create claims a warm server and runs, the pool refills, rm destroys the rest', async () => {
    const h = await startTestHangar('pools', { reconcileSeconds: 0 }, { noEnvProviders: true, poolSeconds: 0.5 });
    started.push(h);
    const bad = await h.api('/v1/pools/demo', { method: 'PUT', json: { provider: 'local', workload: 'process', ready: -1 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { field: string }) => e.field)).toEqual(['ready']);

    const put = await h.api('/v1/pools/demo', { method: 'PUT', json: { provider: 'local', workload: 'process', ready: 2 } });
    expect(put.status).toBe(200);
    await waitForPool(h, 'demo', (p) => p.warm === 2);
    const members = (await h.engine.store.list({ limit: 10 })).filter((r) => r.poolId);
    expect(members).toHaveLength(2);
    // Warm means: agent connected, idle (no workload), not running, and no timeout fails it.
    for (const m of members) expect([m.status, m.step, m.connection, m.workloadHealthy]).toEqual(['provisioning', 'network', 'connected', null]);

    const t0 = Date.now();
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', workload: 'process', name: 'pooled' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(members.map((m) => m.id)).toContain(created.id);
    const running = await h.waitFor(created.id, (r) => r.status === 'running', 60_000);
    const claimToRunningMs = Date.now() - t0;
    expect(running.name).toBe('pooled');
    const events = (await (await h.api(`/v1/instances/${created.id}/events`)).json()).items as { reason: string | null }[];
    expect(events.some((e) => e.reason?.startsWith('claimed from warm pool demo'))).toBe(true);
    expect(events.some((e) => e.reason?.includes('workload healthy'))).toBe(true);
    console.log(`pooled create → running: ${claimToRunningMs} ms`);

    // The pool refills in the background; the claimed instance is no longer its member.
    await waitForPool(h, 'demo', (p) => p.warm === 2);

    // A create that does not match (another workload) is not served from the pool.
    expect((await h.api('/v1/pools/other', { method: 'PUT', json: { provider: 'local', workload: 'compose', ready: 0 } })).status).toBe(200);

    expect((await h.api('/v1/pools/demo', { method: 'DELETE' })).status).toBe(204);
    expect((await h.api('/v1/pools/demo', { method: 'DELETE' })).status).toBe(404);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const left = (await h.engine.store.list({ limit: 20 })).filter((r) => r.poolId && !r.poolClaimedAt && r.status !== 'stopped');
      if (!left.length) break;
      if (Date.now() > deadline) throw new Error(`pool members not destroyed: ${left.map((r) => `${r.id} ${r.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await h.engine.store.get(created.id)).status).toBe('running');
  }, 240_000);
});
