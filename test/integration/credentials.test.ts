/**
 * Cloud and tailnet credentials given through the API: stored sealed, never returned, and they
 * switch the provider on (and off again) without a restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerCredentials } from '../../src/db/schema.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let hz: HetznerEmulator;
let h: TestHangar;
/** Stands for whatever else answers at an endpoint: an internal page that must not be echoed. */
let internal: Server;
let internalUrl: string;
const TOKEN = 'hz-api-token-0123456789';
const INTERNAL_PAGE = 'internal-admin-console: db_password=swordfish';
beforeAll(async () => {
  hz = await startHetznerEmulator({ boot: createAgentBoot({ killAfterMs: 2000 }), tokens: [TOKEN], bootDelayMs: 50, actionDelayMs: 20 });
  internal = createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(INTERNAL_PAGE));
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
  // Emulators are plain http on loopback: only the allow-listed origins may receive a token.
  h = await startTestHangar('credentials', { reconcileSeconds: 0, allowedEndpoints: [new URL(hz.baseUrl).origin, internalUrl] });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await hz?.stop();
  internal?.close();
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
      // Not https and not on HANGAR_ALLOWED_ENDPOINTS, or with userinfo: the token would go there.
      ['hetzner', { token: TOKEN, endpoint: 'http://169.254.169.254/latest/meta-data' }, 'endpoint'],
      ['digital-ocean', { token: TOKEN, endpoint: 'http://127.0.0.1:1/' }, 'endpoint'],
      ['tailscale', { token: TOKEN, endpoint: 'https://user:pass@api.tailscale.com/api/v2' }, 'endpoint'],
      ['tailscale', { token: TOKEN, endpoint: `${hz.baseUrl.replace('http://', 'http://u:p@')}` }, 'endpoint'],
      ['hetzner', { token: TOKEN, tailnet: 'x' }, 'tailnet'],
      ['hetzner', { token: TOKEN, surprise: 1 }, 'surprise'],
      ['aws', { token: TOKEN }, 'provider'],
    ];
    for (const [p, body, field] of cases) {
      const res = await h.api(`/v1/providers/${p}/credentials`, { method: 'PUT', json: body });
      expect(res.status, `${p} ${JSON.stringify(body)}`).toBe(400);
      expect((await res.json()).errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await h.api('/v1/providers/digital-ocean/credentials', { method: 'PUT', json: { token: TOKEN, endpoint: 'https://api.digitalocean.com' } })).status).toBe(204);
    expect((await h.api('/v1/providers/digital-ocean/credentials', { method: 'DELETE' })).status).toBe(204);
  });

  it('does not echo what an endpoint answers beyond the vendor’s parsed code and message', async () => {
    expect((await h.api('/v1/providers/hetzner/credentials', { method: 'PUT', json: { token: TOKEN, endpoint: `${internalUrl}/v1` } })).status).toBe(204);
    try {
      const res = await h.api('/v1/providers/hetzner/locations');
      expect(res.status).toBe(502);
      const text = await res.text();
      expect(text).not.toContain('swordfish');
      expect(JSON.parse(text).detail).toMatch(/HTTP 500$/);
    } finally {
      await h.api('/v1/providers/hetzner/credentials', { method: 'DELETE' });
    }
  }, 60_000);
});
