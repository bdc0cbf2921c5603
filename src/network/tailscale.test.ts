import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../http/clock.testing.ts';
import { FakeApi, json } from '../http/fake-api.testing.ts';
import { resetGovernors } from '../http/governor.ts';
import { TailscaleClient, tailscaleBaseUrl, tailscaleFromEnv } from './tailscale.ts';

afterEach(() => resetGovernors());

const BASE = 'http://ts.test/api/v2';

/** A small Tailscale: keys, devices, and an OAuth token endpoint issuing short-lived tokens. */
function fakeTailscale(clock: ManualClock, opts: { tokenTtlSec?: number } = {}) {
  const api = new FakeApi();
  const keys = new Map<string, { id: string; key: string; body: any }>();
  const devices = new Map<string, { id: string; hostname: string; name: string; created: string; addresses: string[]; tags: string[] }>();
  const issued = new Map<string, number>(); // access token → expiry (ms)
  let n = 0;
  const authorized = (h: Headers) => {
    const auth = h.get('authorization') ?? '';
    const tok = auth.replace(/^Bearer /, '');
    if (tok === 'tskey-api-static') return true;
    const exp = issued.get(tok);
    return exp !== undefined && clock.now() < exp;
  };
  api.on('POST', '/api/v2/oauth/token', (req) => {
    if (req.body?.client_id !== 'cid' || req.body?.client_secret !== 'secret') return json(401, { message: 'invalid client' });
    const token = `tskey-oauth-${++n}`;
    const ttl = opts.tokenTtlSec ?? 3600;
    issued.set(token, clock.now() + ttl * 1000);
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: 'auth_keys devices:core' });
  });
  api.on('POST', /^\/api\/v2\/tailnet\/([^/]+)\/keys$/, (req) => {
    if (!authorized(req.headers)) return json(401, { message: 'API token invalid' });
    const id = `k${++n}CNTRL`;
    const key = { id, key: `tskey-auth-${id}-secret`, body: req.body };
    keys.set(id, key);
    return json(200, { id, key: key.key, created: new Date(clock.now()).toISOString(), expires: new Date(clock.now() + (req.body.expirySeconds ?? 7776000) * 1000).toISOString(), capabilities: req.body.capabilities, description: req.body.description });
  });
  api.on('DELETE', /^\/api\/v2\/tailnet\/([^/]+)\/keys\/([^/]+)$/, (req, [, id]) => {
    if (!authorized(req.headers)) return json(401, { message: 'API token invalid' });
    return keys.delete(id) ? json(200) : json(404, { message: 'not found' });
  });
  api.on('GET', /^\/api\/v2\/tailnet\/([^/]+)\/devices$/, (req) => {
    if (!authorized(req.headers)) return json(401, { message: 'API token invalid' });
    const hostname = req.url.searchParams.get('hostname');
    return json(200, { devices: [...devices.values()].filter((d) => !hostname || d.hostname === hostname) });
  });
  api.on('DELETE', /^\/api\/v2\/device\/([^/]+)$/, (req, [id]) => {
    if (!authorized(req.headers)) return json(401, { message: 'API token invalid' });
    return devices.delete(id) ? json(200) : json(404, { message: 'not found' });
  });
  return { api, keys, devices, issued };
}

describe('TailscaleClient', () => {
  it('creates a single-use, ephemeral, pre-authorized tagged auth key', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock);
    const ts = new TailscaleClient({ apiKey: 'tskey-api-static', baseUrl: BASE, fetch: fake.api.fetch, clock });
    const key = await ts.createAuthKey({ tags: ['tag:hangar', 'tag:acme'], expirySeconds: 600, description: 'hangar: instance 1234/abcd' });
    const req = fake.api.calls('POST', '/api/v2/tailnet/-/keys')[0];
    expect(req.body).toEqual({
      keyType: 'auth',
      description: 'hangar- instance 1234-abcd',
      capabilities: { devices: { create: { reusable: false, ephemeral: true, preauthorized: true, tags: ['tag:hangar', 'tag:acme'] } } },
      expirySeconds: 600,
    });
    expect(key.id).toMatch(/CNTRL$/);
    expect(key.key).toBe(fake.keys.get(key.id)!.key);
    expect(Date.parse(key.expires!) - clock.now()).toBe(600_000);
  });

  it('rejects tags that are not tag:…', async () => {
    const clock = new ManualClock();
    const ts = new TailscaleClient({ apiKey: 'tskey-api-static', baseUrl: BASE, fetch: fakeTailscale(clock).api.fetch, clock });
    await expect(ts.createAuthKey({ tags: ['hangar'] })).rejects.toMatchObject({ code: 'invalid_tag' });
    await expect(ts.createAuthKey({ tags: ['tag:1abc'] })).rejects.toThrow(/tag:1abc: tag names must start with a letter/);
  });

  it('finds a device by hostname, newest first, and null when absent', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock);
    fake.devices.set('1', { id: '1', hostname: 'hangar-acme-1111', name: 'hangar-acme-1111.tail.ts.net', created: '2026-01-01T00:00:00Z', addresses: ['100.64.0.1'], tags: ['tag:hangar'] });
    fake.devices.set('2', { id: '2', hostname: 'hangar-acme-1111', name: 'hangar-acme-1111-1.tail.ts.net', created: '2026-02-01T00:00:00Z', addresses: ['100.64.0.2'], tags: ['tag:hangar'] });
    fake.devices.set('3', { id: '3', hostname: 'other', name: 'other.tail.ts.net', created: '2026-03-01T00:00:00Z', addresses: [], tags: [] });
    const ts = new TailscaleClient({ apiKey: 'tskey-api-static', tailnet: 'T1234CNTRL', baseUrl: BASE, fetch: fake.api.fetch, clock });
    const d = await ts.findDeviceByHostname('hangar-acme-1111');
    expect(d).toMatchObject({ id: '2', hostname: 'hangar-acme-1111', addresses: ['100.64.0.2'], tags: ['tag:hangar'] });
    const req = fake.api.calls('GET', /devices$/)[0];
    expect(req.path).toBe('/api/v2/tailnet/T1234CNTRL/devices');
    expect(req.url.searchParams.get('hostname')).toBe('hangar-acme-1111');
    expect(await ts.findDeviceByHostname('nope')).toBeNull();
  });

  it('deletes devices and auth keys; already gone counts as done', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock);
    fake.devices.set('9', { id: '9', hostname: 'h', name: 'h.ts.net', created: '', addresses: [], tags: [] });
    const ts = new TailscaleClient({ apiKey: 'tskey-api-static', baseUrl: BASE, fetch: fake.api.fetch, clock });
    const key = await ts.createAuthKey({ tags: ['tag:hangar'] });
    await ts.deleteDevice('9');
    await ts.deleteDevice('9');
    await ts.deleteAuthKey(key.id);
    await ts.deleteAuthKey(key.id);
    expect(fake.devices.size).toBe(0);
    expect(fake.keys.size).toBe(0);
    expect(fake.api.calls('DELETE').map((r) => r.path)).toEqual(['/api/v2/device/9', '/api/v2/device/9', `/api/v2/tailnet/-/keys/${key.id}`, `/api/v2/tailnet/-/keys/${key.id}`]);
  });

  it('exchanges OAuth client credentials (form-encoded) once and reuses the token until it nears expiry', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock, { tokenTtlSec: 3600 });
    const ts = new TailscaleClient({ oauth: { clientId: 'cid', clientSecret: 'secret' }, baseUrl: BASE, fetch: fake.api.fetch, clock });
    await Promise.all([ts.createAuthKey({ tags: ['tag:hangar'] }), ts.findDeviceByHostname('x')]);
    await ts.findDeviceByHostname('y');
    const exchanges = fake.api.calls('POST', '/api/v2/oauth/token');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0].headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(exchanges[0].headers.get('authorization')).toBeNull();
    expect(exchanges[0].body).toEqual({ client_id: 'cid', client_secret: 'secret', grant_type: 'client_credentials' });
    expect(fake.api.calls('GET').every((r) => r.headers.get('authorization') === 'Bearer tskey-oauth-1')).toBe(true);

    await clock.advance(3600_000 - 30_000); // within the last minute: refresh before use
    await ts.findDeviceByHostname('z');
    expect(fake.api.calls('POST', '/api/v2/oauth/token')).toHaveLength(2);
  });

  it('re-exchanges after a 401 (token revoked early)', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock);
    const ts = new TailscaleClient({ oauth: { clientId: 'cid', clientSecret: 'secret' }, baseUrl: BASE, fetch: fake.api.fetch, clock });
    await ts.findDeviceByHostname('a');
    fake.issued.clear();
    await ts.findDeviceByHostname('a');
    expect(fake.api.calls('POST', '/api/v2/oauth/token')).toHaveLength(2);
  });

  it('reports a bad OAuth client as a ProviderError', async () => {
    const clock = new ManualClock();
    const ts = new TailscaleClient({ oauth: { clientId: 'cid', clientSecret: 'wrong' }, baseUrl: BASE, fetch: fakeTailscale(clock).api.fetch, clock });
    await expect(ts.findDeviceByHostname('a')).rejects.toMatchObject({ provider: 'tailscale', code: 'unauthorized', httpStatus: 401 });
  });
});

describe('tailscaleFromEnv', () => {
  it('is null when not configured', () => {
    expect(tailscaleFromEnv({})).toBeNull();
    expect(tailscaleFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'only-id' })).toBeNull();
  });

  it('prefers an API key, else the OAuth client; reads tailnet and base URL', async () => {
    const clock = new ManualClock();
    const fake = fakeTailscale(clock);
    const a = tailscaleFromEnv({ TAILSCALE_API_KEY: 'tskey-api-static', TAILSCALE_BASE_URL: BASE }, { fetch: fake.api.fetch, clock })!;
    expect([a.tailnet, a.api.baseUrl]).toEqual(['-', BASE]);
    await a.findDeviceByHostname('x');
    const o = tailscaleFromEnv({ TAILSCALE_OAUTH_CLIENT_ID: 'cid', TAILSCALE_OAUTH_CLIENT_SECRET: 'secret', TAILSCALE_TAILNET: 'example.com', TAILSCALE_BASE_URL: BASE }, { fetch: fake.api.fetch, clock })!;
    expect(o.tailnet).toBe('example.com');
    await o.findDeviceByHostname('x');
    expect(fake.api.calls('POST', '/api/v2/oauth/token')).toHaveLength(1);
    expect(tailscaleFromEnv({ TAILSCALE_API_KEY: 'k' })!.api.baseUrl).toBe('https://api.tailscale.com/api/v2');
  });

  it('takes TAILSCALE_BASE_URL with or without its /api/v2', () => {
    for (const url of ['http://127.0.0.1:4012/api/v2', 'http://127.0.0.1:4012/api/v2/', 'http://127.0.0.1:4012/api', 'http://127.0.0.1:4012', 'http://127.0.0.1:4012/']) {
      expect(tailscaleFromEnv({ TAILSCALE_API_KEY: 'k', TAILSCALE_BASE_URL: url })!.api.baseUrl, url).toBe('http://127.0.0.1:4012/api/v2');
    }
    expect(tailscaleBaseUrl('https://api.tailscale.com')).toBe('https://api.tailscale.com/api/v2');
    expect(tailscaleBaseUrl('https://proxy.example/ts/api/v2')).toBe('https://proxy.example/ts/api/v2');
  });
});
