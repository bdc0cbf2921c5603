/**
 * Cloud and tailnet credentials given through the API: stored sealed, never returned, and they
 * switch the provider on (and off again) without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerCredentials } from '../../src/db/schema.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let hz: HetznerEmulator;
let h: TestHangar;
const TOKEN = 'hz-api-token-0123456789';
beforeAll(async () => {
  hz = await startHetznerEmulator({ boot: createAgentBoot({ killAfterMs: 2000 }), tokens: [TOKEN], bootDelayMs: 50, actionDelayMs: 20 });
  h = await startTestHangar('credentials', { reconcileSeconds: 0 });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await hz?.stop();
});

describe('provider credentials through the API', () => {
  it('enables hetzner from a stored token, never returns it, seals it at rest, and disables it on delete', async () => {
    const names = async () => ((await (await h.api('/v1/providers')).json()).items as { name: string; credentials: string }[]);
    expect((await names()).map((p) => p.name)).not.toContain('hetzner');

    const put = await h.api('/v1/providers/hetzner/credentials', { method: 'PUT', json: { token: TOKEN, endpoint: hz.baseUrl } });
    expect(put.status).toBe(204);
    expect(await names()).toContainEqual(expect.objectContaining({ name: 'hetzner', credentials: 'api' }));
    // Sealed at rest, and no route returns it.
    const rows = await h.database.db.select().from(providerCredentials);
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
    expect(await (await h.api('/v1/providers')).text()).not.toContain(TOKEN);

    // It works: an instance on hetzner reaches running through the emulator, with our token.
    const created = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'hetzner', workload: 'process' } })).json();
    await h.waitFor(created.id, (r) => r.status === 'running', 60_000);
    await h.api(`/v1/instances/${created.id}`, { method: 'DELETE' });
    await h.waitFor(created.id, (r) => r.status === 'stopped', 60_000);

    expect((await h.api('/v1/providers/hetzner/credentials', { method: 'DELETE' })).status).toBe(204);
    expect((await names()).map((p) => p.name)).not.toContain('hetzner');
    expect((await h.api('/v1/providers/hetzner/credentials', { method: 'DELETE' })).status).toBe(404);
  }, 120_000);

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['hetzner', { token: 'short' }, 'token'],
      ['hetzner', { token: TOKEN, endpoint: 'ftp://x' }, 'endpoint'],
      ['hetzner', { token: TOKEN, tailnet: 'x' }, 'tailnet'],
      ['hetzner', { token: TOKEN, surprise: 1 }, 'surprise'],
      ['aws', { token: TOKEN }, 'provider'],
    ];
    for (const [p, body, field] of cases) {
      const res = await h.api(`/v1/providers/${p}/credentials`, { method: 'PUT', json: body });
      expect(res.status, `${p} ${JSON.stringify(body)}`).toBe(400);
      expect((await res.json()).errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });
});
