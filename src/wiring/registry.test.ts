import { afterEach, describe, expect, it } from 'vitest';
import { FakeApi, json } from '../http/fake-api.testing.ts';
import { resetGovernors } from '../http/governor.ts';
import { TailscaleClient } from '../network/tailscale.ts';
import { DigitalOceanProvider } from '../providers/digitalocean.ts';
import { HetznerProvider } from '../providers/hetzner.ts';
import { providersFromEnv } from './registry.ts';

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
    const b = providersFromEnv({ HCLOUD_TOKEN: 'h2', HCLOUD_ENDPOINT: 'http://127.0.0.1:4010/v1/', HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:4010' });
    expect((b.providers[0] as HetznerProvider).api.baseUrl).toBe('http://127.0.0.1:4010/v1');
    expect(b.summary).toEqual(['hetzner at http://127.0.0.1:4010/v1']);
  });

  it('builds digital-ocean from DIGITALOCEAN_API_TOKEN or DIGITALOCEAN_TOKEN, with DIGITALOCEAN_API_URL', () => {
    const a = providersFromEnv({ DIGITALOCEAN_TOKEN: 'd' });
    expect(a.providers[0]).toBeInstanceOf(DigitalOceanProvider);
    expect(a.providers[0].name).toBe('digital-ocean');
    expect((a.providers[0] as DigitalOceanProvider).api.baseUrl).toBe('https://api.digitalocean.com');
    const b = providersFromEnv({ DIGITALOCEAN_API_TOKEN: 'd', DIGITALOCEAN_API_URL: 'http://127.0.0.1:4011' }, { allowedEndpoints: ['http://127.0.0.1:*'] });
    expect((b.providers[0] as DigitalOceanProvider).api.baseUrl).toBe('http://127.0.0.1:4011');
  });

  it('builds the tailnet from an API key, or an OAuth client; tailnet defaults to "-"', () => {
    const a = providersFromEnv({ TAILSCALE_API_KEY: 'tskey-api-x' });
    expect(a.tailnet).toBeInstanceOf(TailscaleClient);
    expect(a.tailscale).toBe(a.tailnet);
    expect(a.tailscale!.tailnet).toBe('-');
    expect(a.tailscale!.api.baseUrl).toBe('https://api.tailscale.com/api/v2');
    expect(a.summary).toEqual(['tailscale tailnet - at https://api.tailscale.com/api/v2 (API key)']);
    const b = providersFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'cid', TAILSCALE_OAUTH_CLIENT_SECRET: 's', TAILSCALE_TAILNET: 'example.com', TAILSCALE_BASE_URL: 'http://127.0.0.1:4012/api/v2', HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
    expect(b.tailscale!.tailnet).toBe('example.com');
    expect(b.summary[0]).toContain('(OAuth client)');
  });

  it('warns about half-configured services instead of guessing', () => {
    const r = providersFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'cid', HCLOUD_ENDPOINT: 'https://x/v1', DIGITALOCEAN_API_URL: 'https://y' });
    expect(r.providers).toEqual([]);
    expect(r.tailnet).toBeUndefined();
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings.join('\n')).toMatch(/TAILSCALE_OAUTH_CLIENT_SECRET is missing/);
    expect(r.warnings.join('\n')).not.toMatch(/cid/);
  });

  it('leaves a service off, with a warning naming its variable, when its endpoint may not receive the token', () => {
    const env = {
      HETZNER_API_TOKEN: 'th',
      HCLOUD_ENDPOINT: 'http://169.254.169.254/latest',
      DIGITALOCEAN_TOKEN: 'td',
      DIGITALOCEAN_API_URL: 'https://user:hunter2@api.digitalocean.com',
      TAILSCALE_API_KEY: 'tt',
      TAILSCALE_BASE_URL: 'http://127.0.0.1:4012/api/v2',
    };
    const r = providersFromEnv(env);
    expect(r.providers).toEqual([]);
    expect(r.tailnet).toBeUndefined();
    expect(r.warnings).toEqual([
      expect.stringMatching(/^HCLOUD_ENDPOINT must be an https URL, or an origin listed in HANGAR_ALLOWED_ENDPOINTS.*the hetzner provider is off$/),
      'DIGITALOCEAN_API_URL must not carry a user name or password: the digital-ocean provider is off',
      expect.stringMatching(/^TAILSCALE_BASE_URL must be an https URL.*the tailnet is off$/),
    ]);
    expect(r.warnings.join('\n')).not.toMatch(/hunter2|169\.254\.169\.254\/latest/);
    // The allow-list (env or option) lets the emulator origin through; a bad entry is named.
    const ok = providersFromEnv({ ...env, DIGITALOCEAN_API_URL: 'https://api.digitalocean.com', HANGAR_ALLOWED_ENDPOINTS: 'http://169.254.169.254, http://127.0.0.1:*, nonsense' });
    expect(ok.providers.map((p) => p.name)).toEqual(['hetzner', 'digital-ocean']);
    expect(ok.tailnet).toBeDefined();
    expect(ok.warnings).toEqual([expect.stringMatching(/^HANGAR_ALLOWED_ENDPOINTS: "nonsense" is not an origin/)]);
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
      { fetch: api.fetch, allowedEndpoints: ['http://h.test', 'http://d.test:80', 'http://t.test:*'] },
    );
    for (const p of r.providers) expect(await p.listLocations()).toHaveLength(1);
    await r.tailnet!.deleteDevice('7');
    expect(api.requests.map((q) => `${q.url.host} ${q.headers.get('authorization')}`)).toEqual(['h.test Bearer th', 'd.test Bearer td', 't.test Bearer tt']);
  });
});
