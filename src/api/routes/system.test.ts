import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-system');
});
afterAll(async () => {
  await h?.close();
});

describe('system routes', () => {
  it('liveness and readiness are public and say what they checked', async () => {
    expect(await (await fetch(`${h.url}/livez`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${h.url}/readyz`)).json()).toEqual({ ok: true, database: 'up', queue: 'up' });
    expect((await fetch(`${h.url}/openapi.json`)).status).toBe(200);
  });
  it('a reconciler pass needs an API key', async () => {
    expect((await fetch(`${h.url}/v1/reconcile`, { method: 'POST' })).status).toBe(401);
    expect([200, 409]).toContain((await h.api('/v1/reconcile', { method: 'POST' })).status);
  });
});
