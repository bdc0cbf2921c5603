import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../../../test/helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('routes-ssh-hosts');
});
afterAll(async () => {
  await h?.close();
});

const fieldsOf = async (res: Response) => ((await res.json()) as { errors?: { field: string }[] }).errors?.map((e) => e.field) ?? [];
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('ssh host routes', () => {
  it('lists none, and a host that is not there is a 404', async () => {
    expect(await (await h.api('/v1/ssh-hosts')).json()).toEqual({ items: [] });
    expect((await h.api('/v1/ssh-hosts/nope')).status).toBe(404);
    expect([404, 414]).toContain((await h.api(`/v1/ssh-hosts/${'x'.repeat(300)}`)).status);
  });

  it('refuses an install directory outside /opt/hangar and a cloud metadata address, naming the field', async () => {
    const post = (json: unknown) => h.api('/v1/ssh-hosts', { method: 'POST', json });
    const root = await post({ name: 'web-1', address: '203.0.113.7', privateKey: KEY, remoteRoot: '/usr/bin' });
    expect(root.status).toBe(400);
    expect(await fieldsOf(root)).toContain('remoteRoot');
    const meta = await post({ name: 'web-2', address: '169.254.169.254', privateKey: KEY });
    expect(meta.status).toBe(400);
    expect(await fieldsOf(meta)).toContain('address');
    expect((await h.api('/v1/ssh-hosts?probe=maybe', { method: 'POST', json: { name: 'web-3', address: '203.0.113.7', privateKey: KEY } })).status).toBe(400);
  });
});
