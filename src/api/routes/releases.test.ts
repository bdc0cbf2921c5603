import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-releases');
});
afterAll(async () => {
  await h?.close();
});

describe('release routes', () => {
  it('lists none, refuses an unsigned bundle, and a version that is not there is a 404', async () => {
    expect(await (await h.api('/v1/agent-releases')).json()).toMatchObject({ items: [], trustedKeys: 0 });
    const publish = await h.api('/v1/agent-releases', { method: 'POST', json: { version: '1.0.0', bundle: Buffer.from('x').toString('base64'), signature: 'nope' } });
    expect(publish.status).toBeGreaterThanOrEqual(400);
    expect(publish.status).toBeLessThan(500);
    expect((await h.api('/v1/agent-releases/9.9.9/approve', { method: 'POST', json: {} })).status).toBe(404);
    expect((await h.api('/v1/agent-releases/not-a-version')).status).toBe(404);
    expect((await h.api('/v1/agent-releases/9.9.9/approve', { method: 'POST', json: { canaryPercent: 0 } })).status).toBe(400);
  });
});
