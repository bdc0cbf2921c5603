import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-keys');
});
afterAll(async () => {
  await h?.close();
});

describe('key routes', () => {
  it('returns a new key once, lists keys without it, revokes', async () => {
    const made = await h.api('/v1/keys', { method: 'POST', json: { name: 'ci', role: 'operator', expiresInSeconds: 86_400 } });
    expect(made.status).toBe(201);
    const k = (await made.json()) as { id: string; key: string; project: string; role: string; expiresAt: string };
    expect([k.project, k.role]).toEqual(['default', 'operator']);
    expect(Date.parse(k.expiresAt)).toBeGreaterThan(Date.now());
    const list = await (await h.api('/v1/keys')).text();
    expect(list).toContain(k.id);
    expect(list).not.toContain(k.key);
    expect(list).not.toMatch(/"hash"/);
    const bad = await h.api('/v1/keys', { method: 'POST', json: { name: 'x', role: 'root' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0].field).toBe('role');
    expect((await h.api(`/v1/keys/${k.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.api(`/v1/keys/${k.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await h.api('/v1/keys/not-a-uuid', { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${h.url}/v1/instances`, { headers: { authorization: `Bearer ${k.key}` } })).status).toBe(401);
  });
});
