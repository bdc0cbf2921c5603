import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-providers', {}, { noEnvProviders: true });
});
afterAll(async () => {
  await h?.close();
});

describe('provider routes', () => {
  it('lists what is configured and says how to enable the rest', async () => {
    const list = (await (await h.api('/v1/providers')).json()) as { items: { name: string }[]; unconfigured: { name: string; enable: string }[] };
    expect(list.items.map((p) => p.name)).toContain('local');
    expect(list.unconfigured.find((p) => p.name === 'hetzner')?.enable).toMatch(/HETZNER_API_TOKEN/);
    const missing = await h.api('/v1/providers/hetzner/locations');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/HETZNER_API_TOKEN|HCLOUD_TOKEN/);
  });

  it('credentials are write-only and their endpoint must be https', async () => {
    const res = await h.api('/v1/providers/hetzner/credentials', { method: 'PUT', json: { token: 'x'.repeat(64), endpoint: 'http://169.254.169.254/latest' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0].field).toBe('endpoint');
    expect((await h.api('/v1/providers/constructor/credentials', { method: 'PUT', json: { token: 'x'.repeat(64) } })).status).toBe(400);
  });
});
