import { afterEach, describe, expect, it } from 'vitest';
import { TailscaleClient } from '../network/tailscale.ts';
import { DigitalOceanProvider } from './digitalocean.ts';
import { HetznerProvider } from './hetzner.ts';
import { resetGovernors } from './rate-limit.ts';
import { providersFromEnv } from './registry.ts';
import { FakeApi, json } from './rest.testing.ts';

afterEach(() => resetGovernors());

describe('providersFromEnv', () => {
  it('configures nothing from an empty environment', () => {
    expect(providersFromEnv({})).toEqual({ providers: [], warnings: [], summary: [] });
  });

  it('builds hetzner from HETZNER_API_TOKEN (preferred) or HCLOUD_TOKEN, with HCLOUD_ENDPOINT', () => {
    const a = providersFromEnv({ HETZNER_API_TOKEN: 'h1', HCLOUD_TOKEN: 'h2' });
    expect(a.providers).toHaveLength(1);
    expect(a.providers[0]).toBeInstanceOf(HetznerProvider);
    expect((a.providers[0] as HetznerProvider).api.baseUrl).toBe('https://api.hetzner.cloud/v1');
    const b = providersFromEnv({ HCLOUD_TOKEN: 'h2', HCLOUD_ENDPOINT: 'http://127.0.0.1:4010/v1/' });
    expect((b.providers[0] as HetznerProvider).api.baseUrl).toBe('http://127.0.0.1:4010/v1');
    expect(b.summary).toEqual(['hetzner at http://127.0.0.1:4010/v1']);
  });

  it('builds digital-ocean from DIGITALOCEAN_API_TOKEN or DIGITALOCEAN_TOKEN, with DIGITALOCEAN_API_URL', () => {
    const a = providersFromEnv({ DIGITALOCEAN_TOKEN: 'd' });
    expect(a.providers[0]).toBeInstanceOf(DigitalOceanProvider);
    expect(a.providers[0].name).toBe('digital-ocean');
    expect((a.providers[0] as DigitalOceanProvider).api.baseUrl).toBe('https://api.digitalocean.com');
    const b = providersFromEnv({ DIGITALOCEAN_API_TOKEN: 'd', DIGITALOCEAN_API_URL: 'http://127.0.0.1:4011' });
    expect((b.providers[0] as DigitalOceanProvider).api.baseUrl).toBe('http://127.0.0.1:4011');
  });

  it('builds the tailnet from an API key, or an OAuth client; tailnet defaults to "-"', () => {
    const a = providersFromEnv({ TAILSCALE_API_KEY: 'tskey-api-x' });
    expect(a.tailnet).toBeInstanceOf(TailscaleClient);
    expect(a.tailscale).toBe(a.tailnet);
    expect(a.tailscale!.tailnet).toBe('-');
    expect(a.tailscale!.api.baseUrl).toBe('https://api.tailscale.com/api/v2');
    expect(a.summary).toEqual(['tailscale tailnet - at https://api.tailscale.com/api/v2 (API key)']);
    const b = providersFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'cid', TAILSCALE_OAUTH_CLIENT_SECRET: 's', TAILSCALE_TAILNET: 'example.com', TAILSCALE_BASE_URL: 'http://127.0.0.1:4012/api/v2' });
    expect(b.tailscale!.tailnet).toBe('example.com');
    expect(b.summary[0]).toContain('(OAuth client)');
  });

  it('warns about half-configured services instead of guessing', () => {
    const r = providersFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'cid', HCLOUD_ENDPOINT: 'http://x/v1', DIGITALOCEAN_API_URL: 'http://y' });
    expect(r.providers).toEqual([]);
    expect(r.tailnet).toBeUndefined();
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings.join('\n')).toMatch(/TAILSCALE_OAUTH_CLIENT_SECRET is missing/);
    expect(r.warnings.join('\n')).not.toMatch(/cid/);
  });

  it('never puts a token in the summary or warnings', () => {
    const r = providersFromEnv({ HETZNER_API_TOKEN: 'secret-h', DIGITALOCEAN_TOKEN: 'secret-d', TAILSCALE_API_KEY: 'secret-t' });
    expect(JSON.stringify([r.summary, r.warnings])).not.toMatch(/secret-/);
  });

  it('passes an injected fetch to every client, with each vendor’s token as a bearer', async () => {
    const api = new FakeApi();
    api.on('GET', '/v1/locations', () => json(200, { locations: [{ id: 1, name: 'fsn1', description: 'F', country: 'DE', city: 'F' }], meta: { pagination: { page: 1, next_page: null } } }));
    api.on('GET', '/v2/regions', () => json(200, { regions: [{ slug: 'fra1', name: 'Frankfurt 1', available: true }], links: {} }));
    api.on('DELETE', '/api/v2/device/7', () => json(200));
    const r = providersFromEnv(
      { HETZNER_API_TOKEN: 'th', DIGITALOCEAN_TOKEN: 'td', TAILSCALE_API_KEY: 'tt', HCLOUD_ENDPOINT: 'http://h.test/v1', DIGITALOCEAN_API_URL: 'http://d.test', TAILSCALE_BASE_URL: 'http://t.test/api/v2' },
      { fetch: api.fetch },
    );
    for (const p of r.providers) expect(await p.listLocations()).toHaveLength(1);
    await r.tailnet!.deleteDevice('7');
    expect(api.requests.map((q) => `${q.url.host} ${q.headers.get('authorization')}`)).toEqual(['h.test Bearer th', 'd.test Bearer td', 't.test Bearer tt']);
  });
});
