import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-instances');
});
afterAll(async () => {
  await h?.close();
});

describe('instance routes', () => {
  it('Idempotency-Key: the same body replays the first answer, another body is a 422', async () => {
    const body = { provider: 'local', name: 'idem' };
    const post = (json: unknown) => h.api('/v1/instances', { method: 'POST', json, headers: { 'idempotency-key': 'k-1' } });
    const first = await post(body);
    expect(first.status).toBe(201);
    const again = await post(body);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    const other = await post({ ...body, name: 'idem-2' });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { errors: { field: string }[] }).errors[0].field).toBe('Idempotency-Key');
    const bad = await h.api('/v1/instances', { method: 'POST', json: body, headers: { 'idempotency-key': 'cl\u00e9' } });
    expect(bad.status).toBe(400);
  });

  it('lists with a cursor, and refuses what it cannot read with a 400 naming the field', async () => {
    const page = await h.api('/v1/instances?limit=1');
    expect(page.status).toBe(200);
    const { items, nextCursor } = (await page.json()) as { items: unknown[]; nextCursor: string | null };
    expect(items).toHaveLength(1);
    expect((await h.api('/v1/instances?status=bogus')).status).toBe(400);
    const badCursor = await h.api(`/v1/instances?cursor=${Buffer.from('2024-01-01T00:00:00Z|nope').toString('base64url')}`);
    expect(badCursor.status).toBe(400);
    expect(((await badCursor.json()) as { errors: { field: string }[] }).errors[0].field).toBe('cursor');
    expect(nextCursor === null || typeof nextCursor === 'string').toBe(true);
  });

  it('an id that is not a UUID is a 404, on every instance route', async () => {
    for (const [method, path] of [['GET', '/v1/instances/xyz'], ['DELETE', '/v1/instances/xyz'], ['GET', '/v1/instances/xyz/events'], ['POST', '/v1/instances/xyz/smoke']] as const) {
      expect((await h.api(path, { method })).status, `${method} ${path}`).toBe(404);
    }
  });

  it('a dry run stores nothing', async () => {
    const before = ((await (await h.api('/v1/instances?limit=200')).json()) as { items: unknown[] }).items.length;
    const res = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'local', name: 'plan-only' } });
    expect(res.status).toBe(200);
    const after = ((await (await h.api('/v1/instances?limit=200')).json()) as { items: unknown[] }).items.length;
    expect(after).toBe(before);
  });
});
