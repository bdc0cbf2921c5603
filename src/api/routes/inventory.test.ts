import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documented } from '../../../test/helpers/contract.ts';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-inventory', {}, { noEnvProviders: true });
});
afterAll(async () => {
  await h?.close();
});

describe('GET /v1/inventory', () => {
  it('serves the project inventory as documented, with a running local instance in its groups', async () => {
    const inst = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'local' } })).json();
    await h.waitFor(inst.id, (r) => r.status === 'running');
    const inv = documented('get', '/v1/inventory', await h.client.GET('/v1/inventory')) as Record<string, { hosts?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    expect(inv.provider_local.hosts).toEqual([inst.serverName]);
    expect(inv.status_running.hosts).toEqual([inst.serverName]);
    expect(inv._meta.hostvars[inst.serverName]).toMatchObject({ hangar_id: inst.id, hangar_project: 'default' });
    expect((await fetch(`${h.url}/v1/inventory`)).status).toBe(401);
  });
});
