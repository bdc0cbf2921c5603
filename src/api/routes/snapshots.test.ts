import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-snapshots');
});
afterAll(async () => {
  await h?.close();
});

describe('snapshot routes', () => {
  it('lists builds, and a builder report needs that build token', async () => {
    expect(await (await h.api('/v1/snapshot-builds')).json()).toEqual({ items: [] });
    const ready = (headers: Record<string, string>) => fetch(`${h.url}/v1/snapshot-builds/${randomUUID()}/ready`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"ok":true}' });
    expect((await ready({})).status).toBe(401);
    expect((await ready({ authorization: 'Bearer not-a-build-token' })).status).toBe(401);
    // An API key is not a build token either.
    expect((await ready({ authorization: `Bearer ${h.apiKey}` })).status).toBe(401);
  });

  it('a build needs a cloud: the provider is named', async () => {
    const res = await h.api('/v1/snapshots', { method: 'POST', json: { provider: 'local' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0].field).toBe('provider');
    expect((await h.api(`/v1/snapshot-builds/${randomUUID()}`)).status).toBe(404);
  });
});
