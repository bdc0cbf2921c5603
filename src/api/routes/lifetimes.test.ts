import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-lifetimes', { defaultTtlSeconds: 3600 });
});
afterAll(async () => {
  await h?.close();
});

describe('lifetime routes (local provider: stop stops the agent process, start runs it again)', () => {
  it('create takes ttl and idleStop (installation default TTL otherwise); stop → hibernated; start → running; extend moves expiresAt', async () => {
    const bad = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', ttl: 'tomorrow' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/ttl/);
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'life', idleStop: '30m' } });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { id: string; ttlSeconds: number; idleStopSeconds: number; expiresAt: string };
    expect(created.ttlSeconds).toBe(3600);
    expect(created.idleStopSeconds).toBe(1800);
    const id = created.id;
    await h.waitFor(id, (r) => r.status === 'running', 60_000);

    const stop = await h.api(`/v1/instances/${id}/stop`, { method: 'POST', json: {} });
    expect(stop.status).toBe(202);
    const hib = await h.waitFor(id, (r) => r.status === 'hibernated' || r.status === 'failed', 60_000);
    expect(hib.status).toBe('hibernated');
    expect(hib.serverId).toBeNull();
    const keep = await h.api(`/v1/instances/${id}/stop`, { method: 'POST', json: { keepServer: true } });
    expect(keep.status).toBe(202); // already stopped: no-op

    expect((await h.api(`/v1/instances/${id}/start`, { method: 'POST' })).status).toBe(202);
    const back = await h.waitFor(id, (r) => (r.status === 'running' && r.connection === 'connected') || r.status === 'failed', 60_000);
    expect(back.status, back.failureReason ?? '').toBe('running');

    const ext = await h.api(`/v1/instances/${id}/extend`, { method: 'POST', json: { by: '2h' } });
    expect(ext.status).toBe(200);
    expect(new Date(((await ext.json()) as { expiresAt: string }).expiresAt).getTime()).toBe(new Date(created.expiresAt).getTime() + 7_200_000);
    const zero = await h.api(`/v1/instances/${id}/extend`, { method: 'POST', json: { by: 0 } });
    expect(zero.status).toBe(400);

    const keepLocal = await h.api(`/v1/instances/${id}/stop`, { method: 'POST', json: { keepServer: true } });
    expect(keepLocal.status).toBe(409);
    expect(((await keepLocal.json()) as { detail: string }).detail).toMatch(/cannot be powered off/);
    expect((await h.api('/v1/instances/00000000-0000-4000-8000-000000000000/start', { method: 'POST' })).status).toBe(404);
  }, 150_000);
});
