import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../domain/errors.ts';
import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../domain/names.ts';
import { HetznerProvider, hetznerBaseUrl, hetznerFromEnv, type HcloudAction, type HcloudImage, type HcloudServer } from './hetzner.ts';
import { serverIpv6 } from './hetzner-wire.ts';
import { ManualClock } from '../http/clock.testing.ts';
import { FakeApi, json, type FakeRequest } from '../http/fake-api.testing.ts';
import { resetGovernors } from '../http/governor.ts';

afterEach(() => resetGovernors());

/** A small stateful Hetzner: servers, images and actions that finish after `actionPolls` polls. */
function fakeHetzner(opts: { actionPolls?: number; failAction?: { code: string; message: string } } = {}) {
  const api = new FakeApi();
  const servers = new Map<number, HcloudServer>();
  const images = new Map<number, HcloudImage>();
  const actions = new Map<number, HcloudAction & { polls: number }>();
  let nextId = 100;

  const action = (command: string, resource: number): HcloudAction => {
    const a = { id: nextId++, command, status: 'running' as const, progress: 0, error: null, resources: [{ id: resource, type: 'server' }], polls: 0 };
    actions.set(a.id, a);
    const { polls: _p, ...wire } = a;
    return wire;
  };
  const selector = (req: FakeRequest) => {
    const sel = req.url.searchParams.get('label_selector');
    return (labels: Record<string, string>) => !sel || sel.split(',').every((kv) => labels[kv.split('=')[0]] === kv.split('=').slice(1).join('='));
  };
  const page = <T>(req: FakeRequest, key: string, all: T[]) => {
    const p = Number(req.url.searchParams.get('page') ?? 1);
    const per = Number(req.url.searchParams.get('per_page') ?? 25);
    if (per > 50) return json(422, { error: { code: 'invalid_input', message: 'per_page must be ≤ 50' } });
    const last = Math.max(1, Math.ceil(all.length / per));
    return json(200, { [key]: all.slice((p - 1) * per, p * per), meta: { pagination: { page: p, per_page: per, previous_page: p > 1 ? p - 1 : null, next_page: p < last ? p + 1 : null, last_page: last, total_entries: all.length } } });
  };

  api.on('POST', '/v1/servers', (req) => {
    const b = req.body;
    if (!b.name || !b.server_type || !b.image) return json(422, { error: { code: 'invalid_input', message: 'missing field' } });
    if ([...servers.values()].some((s) => s.name === b.name)) return json(409, { error: { code: 'uniqueness_error', message: 'server name is already used' } });
    const id = nextId++;
    const server: HcloudServer = {
      id,
      name: b.name,
      status: 'initializing',
      created: new Date(0).toISOString(),
      public_net: { ipv4: { ip: `203.0.113.${id % 250}` }, ipv6: { ip: '2001:db8::/64' } },
      server_type: { name: b.server_type },
      location: { name: b.location },
      image: { id: 1, name: b.image },
      labels: b.labels ?? {},
    };
    servers.set(id, server);
    return json(201, { server, action: action('create_server', id), next_actions: [], root_password: null });
  });
  api.on('GET', '/v1/servers', (req) => {
    const match = selector(req);
    const name = req.url.searchParams.get('name');
    return page(req, 'servers', [...servers.values()].filter((s) => match(s.labels) && (!name || s.name === name)));
  });
  api.on('GET', /^\/v1\/servers\/(\d+)$/, (_req, [id]) => {
    const s = servers.get(Number(id));
    return s ? json(200, { server: s }) : json(404, { error: { code: 'not_found', message: 'server not found' } });
  });
  api.on('DELETE', /^\/v1\/servers\/(\d+)$/, (_req, [id]) => {
    if (!servers.delete(Number(id))) return json(404, { error: { code: 'not_found', message: 'server not found' } });
    return json(200, { action: action('delete_server', Number(id)) });
  });
  api.on('POST', /^\/v1\/servers\/(\d+)\/actions\/poweroff$/, (req, [id]) => {
    if (req.text) return json(400, { error: { code: 'json_error', message: 'no body expected' } });
    const s = servers.get(Number(id));
    if (!s) return json(404, { error: { code: 'not_found', message: 'server not found' } });
    s.status = 'off';
    return json(201, { action: action('stop_server', s.id) });
  });
  api.on('POST', /^\/v1\/servers\/(\d+)\/actions\/create_image$/, (req, [id]) => {
    const s = servers.get(Number(id));
    if (!s) return json(404, { error: { code: 'not_found', message: 'server not found' } });
    const img: HcloudImage = { id: nextId++, type: req.body.type, status: 'creating', name: null, description: req.body.description, image_size: null, disk_size: 40, created: new Date(0).toISOString(), labels: req.body.labels ?? {} };
    images.set(img.id, img);
    const a = action('create_image', s.id);
    return json(201, { image: img, action: a });
  });
  api.on('GET', /^\/v1\/actions\/(\d+)$/, (_req, [id]) => {
    const a = actions.get(Number(id));
    if (!a) return json(404, { error: { code: 'not_found', message: 'action not found' } });
    a.polls++;
    if (a.polls >= (opts.actionPolls ?? 2)) {
      if (opts.failAction) Object.assign(a, { status: 'error', error: opts.failAction });
      else {
        Object.assign(a, { status: 'success', progress: 100 });
        for (const img of images.values()) if (img.status === 'creating') Object.assign(img, { status: 'available', image_size: 1.7 });
      }
    }
    const { polls: _p, ...wire } = a;
    return json(200, { action: wire });
  });
  api.on('GET', '/v1/images', (req) => {
    const types = req.url.searchParams.getAll('type');
    const match = selector(req);
    return page(req, 'images', [...images.values()].filter((i) => (!types.length || types.includes(i.type)) && match(i.labels)));
  });
  api.on('GET', /^\/v1\/images\/(\d+)$/, (_req, [id]) => {
    const i = images.get(Number(id));
    return i ? json(200, { image: i }) : json(404, { error: { code: 'not_found', message: 'image not found' } });
  });
  api.on('DELETE', /^\/v1\/images\/(\d+)$/, (_req, [id]) =>
    images.delete(Number(id)) ? json(204) : json(404, { error: { code: 'not_found', message: 'image not found' } }),
  );
  return { api, servers, images, actions };
}

function provider(fake: ReturnType<typeof fakeHetzner>, clock = new ManualClock(), extra: Partial<ConstructorParameters<typeof HetznerProvider>[0]> = {}) {
  return new HetznerProvider({ token: `t-${Math.random()}`, baseUrl: 'http://hetzner.test/v1', fetch: fake.api.fetch, clock, rest: { random: () => 0 }, ...extra });
}

const labels = { [LABEL_INSTALLATION]: 'inst-1', [LABEL_INSTANCE]: '11111111-2222-3333-4444-555555555555' };

describe('HetznerProvider', () => {
  it('creates a server with location (not datacenter), labels, user-data and ssh keys', async () => {
    const fake = fakeHetzner();
    const hz = provider(fake, undefined, { defaults: { sshKeys: ['ops'] } });
    const info = await hz.createServer({ name: 'hangar-acme-11111111', labels, userData: '#cloud-config\n', serverType: 'cx23', location: 'fsn1' });
    const body = fake.api.calls('POST', '/v1/servers')[0].body;
    expect(body).toEqual({
      name: 'hangar-acme-11111111',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      labels,
      user_data: '#cloud-config\n',
      ssh_keys: ['ops'],
      start_after_create: true,
    });
    expect(body).not.toHaveProperty('datacenter');
    expect(info).toMatchObject({ name: 'hangar-acme-11111111', status: 'creating', location: 'fsn1', serverType: 'cx23', labels, ipv6: '2001:db8::1' });
    expect(info.id).toMatch(/^\d+$/);
  });

  it("maps a name clash to ProviderError 'uniqueness_error' without retrying the POST", async () => {
    const fake = fakeHetzner();
    const hz = provider(fake);
    await hz.createServer({ name: 'dup', labels, userData: '' });
    const err = await hz.createServer({ name: 'dup', labels, userData: '' }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: 'hetzner', code: 'uniqueness_error', httpStatus: 409, retryable: false });
    expect(fake.api.calls('POST', '/v1/servers')).toHaveLength(2);
  });

  it('refuses user-data over 32 KiB before calling the API', async () => {
    const fake = fakeHetzner();
    const hz = provider(fake);
    await expect(hz.createServer({ name: 'big', labels, userData: 'x'.repeat(32 * 1024 + 1) })).rejects.toMatchObject({ code: 'user_data_too_large' });
    expect(fake.api.requests).toHaveLength(0);
    expect(hz.userDataLimit).toBe(32768);
  });

  it('finds servers by label selector and name across pages', async () => {
    const fake = fakeHetzner();
    const hz = provider(fake);
    for (let i = 0; i < 60; i++) await hz.createServer({ name: `s-${i}`, labels: { ...labels, [LABEL_INSTANCE]: i % 2 ? 'odd' : 'even' }, userData: '' });
    const even = await hz.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-1', [LABEL_INSTANCE]: 'even' } });
    expect(even).toHaveLength(30);
    const sel = fake.api.calls('GET', '/v1/servers')[0].url.searchParams;
    expect(sel.get('label_selector')).toBe('hangar.dev/installation=inst-1,hangar.dev/instance=even');
    expect(sel.get('per_page')).toBe('50');
    const all = await hz.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-1' } });
    expect(all).toHaveLength(60);
    expect(await hz.findServers({ name: 's-7' })).toEqual([expect.objectContaining({ name: 's-7', labels: { ...labels, [LABEL_INSTANCE]: 'odd' } })]);
  });

  it('getServer answers null for a missing server; deleteServer treats 404 as done', async () => {
    const fake = fakeHetzner();
    const hz = provider(fake);
    const s = await hz.createServer({ name: 'a', labels, userData: '' });
    expect((await hz.getServer(s.id))?.name).toBe('a');
    await hz.deleteServer(s.id);
    expect(await hz.getServer(s.id)).toBeNull();
    await expect(hz.deleteServer(s.id)).resolves.toBeUndefined();
    expect(await hz.getServer('not-a-number')).toBeNull();
  });

  it('lists server types with gross and net prices per location as numbers in EUR, without retired types', async () => {
    const fake = fakeHetzner();
    const price = (location: string, h: string, m: string) => ({ location, price_hourly: { net: String(Number(h) / 1.19), gross: h }, price_monthly: { net: '6.3782', gross: m }, included_traffic: 1, price_per_tb_traffic: { net: '1', gross: '1.19' } });
    fake.api.on('GET', '/v1/server_types', () =>
      json(200, {
        server_types: [
          { id: 1, name: 'cpx22', description: 'CPX22', cores: 2, memory: 4, disk: 80, architecture: 'x86', prices: [price('fsn1', '0.0121000000000000', '7.5900000000000000'), price('nbg1', '0.0121', '7.59')] },
          { id: 2, name: 'cx11', description: 'old', cores: 1, memory: 2, disk: 20, architecture: 'x86', prices: [], deprecation: { announced: '2023-01-01T00:00:00Z', unavailable_after: '2024-01-01T00:00:00Z' } },
        ],
        meta: { pagination: { page: 1, per_page: 50, next_page: null } },
      }),
    );
    const types = await provider(fake).listServerTypes();
    expect(types).toEqual([
      {
        name: 'cpx22',
        description: 'CPX22',
        cores: 2,
        memoryGb: 4,
        diskGb: 80,
        architecture: 'x86',
        prices: [
          { location: 'fsn1', hourly: 0.0121, monthly: 7.59, currency: 'EUR', hourlyNet: 0.0121 / 1.19, monthlyNet: 6.3782 },
          { location: 'nbg1', hourly: 0.0121, monthly: 7.59, currency: 'EUR', hourlyNet: 0.0121 / 1.19, monthlyNet: 6.3782 },
        ],
      },
    ]);
  });

  it('reads where a type is orderable from locations[].deprecation and available, as the spec says', async () => {
    const fake = fakeHetzner();
    const price = (location: string) => ({ location, price_hourly: { net: '0.01', gross: '0.0119' }, price_monthly: { net: '6', gross: '7.14' }, included_traffic: 1, price_per_tb_traffic: { net: '1', gross: '1.19' } });
    const loc = (id: number, name: string, extra: object = {}) => ({ id, name, deprecation: null, recommended: true, available: true, ...extra });
    const retired = { announced: '2023-01-01T00:00:00Z', unavailable_after: '2024-01-01T00:00:00Z' };
    const retiring = { announced: '2026-01-01T00:00:00Z', unavailable_after: '2099-01-01T00:00:00Z' };
    fake.api.on('GET', '/v1/server_types', () =>
      json(200, {
        server_types: [
          // Retired in fsn1, sold out for now in hel1, deprecated but still sold in nbg1; the
          // type-wide `deprecation` (itself deprecated by the spec) is null and must not decide.
          { id: 1, name: 'cpx22', description: 'CPX22', cores: 2, memory: 4, disk: 80, architecture: 'x86', deprecation: null, prices: ['fsn1', 'nbg1', 'hel1'].map(price), locations: [loc(1, 'fsn1', { deprecation: retired }), loc(2, 'nbg1', { deprecation: retiring }), loc(3, 'hel1', { available: false })] },
          // Retired everywhere it was sold, though the top-level field says nothing.
          { id: 2, name: 'cx22', description: 'CX22', cores: 2, memory: 4, disk: 40, architecture: 'x86', deprecation: null, prices: [price('fsn1')], locations: [loc(1, 'fsn1', { deprecation: retired })] },
        ],
        meta: { pagination: { page: 1, per_page: 50, next_page: null } },
      }),
    );
    const types = await provider(fake).listServerTypes();
    expect(types.map((t) => [t.name, t.prices.map((p) => p.location)])).toEqual([['cpx22', ['nbg1']]]);
  });

  it("records a server's IPv6 address (::1 of its /64), not the network", () => {
    expect(serverIpv6('2001:db8:1:2::/64')).toBe('2001:db8:1:2::1');
    expect(serverIpv6('2a01:4f8:c17:b8f::/64')).toBe('2a01:4f8:c17:b8f::1');
    expect(serverIpv6('2001:db8::5')).toBe('2001:db8::5');
    expect(serverIpv6(null)).toBeNull();
    expect(serverIpv6('not an address/64')).toBeNull();
  });

  it('lists locations', async () => {
    const fake = fakeHetzner();
    fake.api.on('GET', '/v1/locations', () =>
      json(200, { locations: [{ id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', network_zone: 'eu-central' }], meta: { pagination: { page: 1, next_page: null } } }),
    );
    expect(await provider(fake).listLocations()).toEqual([{ name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein' }]);
  });

  it('powers off and waits for the action, polling with backoff', async () => {
    const clock = new ManualClock();
    const fake = fakeHetzner({ actionPolls: 3 });
    const hz = provider(fake, clock);
    const s = await hz.createServer({ name: 'a', labels, userData: '' });
    const t0 = clock.now();
    await clock.run(hz.powerOff(s.id));
    expect(fake.api.calls('GET', /^\/v1\/actions\//)).toHaveLength(3);
    expect(clock.now() - t0).toBe(1000 + 1500 + 2250);
    expect((await hz.getServer(s.id))?.status).toBe('off');
  });

  it('creates a labelled snapshot, waits for it, and lists/deletes it by label', async () => {
    const clock = new ManualClock();
    const fake = fakeHetzner();
    const hz = provider(fake, clock);
    const s = await hz.createServer({ name: 'builder', labels, userData: '' });
    const snapLabels = { [LABEL_INSTALLATION]: 'inst-1', 'hangar.dev/bootstrap-version': '7' };
    const img = await clock.run(hz.createSnapshot(s.id, 'hangar base v7', snapLabels));
    expect(fake.api.calls('POST', /create_image$/)[0].body).toEqual({ type: 'snapshot', description: 'hangar base v7', labels: snapLabels });
    expect(img).toMatchObject({ kind: 'snapshot', name: 'hangar base v7', labels: snapLabels, sizeGb: 1.7 });
    fake.images.set(1, { id: 1, type: 'system', status: 'available', name: 'ubuntu-24.04', description: 'Ubuntu 24.04', image_size: null, disk_size: 5, created: '2024-04-25T00:00:00Z', labels: {} });

    const snaps = await hz.listImages({ kind: 'snapshot', labels: { 'hangar.dev/bootstrap-version': '7' } });
    expect(snaps.map((i) => i.id)).toEqual([img.id]);
    const q = fake.api.calls('GET', '/v1/images').at(-1)!.url.searchParams;
    expect([q.getAll('type'), q.get('label_selector')]).toEqual([['snapshot'], 'hangar.dev/bootstrap-version=7']);
    expect(await hz.listImages({ kind: 'snapshot', labels: { 'hangar.dev/bootstrap-version': '8' } })).toEqual([]);
    expect((await hz.listImages({ kind: 'system' })).map((i) => i.name)).toEqual(['ubuntu-24.04']);
    expect((await hz.listImages()).map((i) => i.kind).sort()).toEqual(['snapshot', 'system']);

    await hz.deleteSnapshot(img.id);
    await expect(hz.deleteSnapshot(img.id)).resolves.toBeUndefined();
    expect(fake.images.has(Number(img.id))).toBe(false);
  });

  it("surfaces a failed action with the action's own error code", async () => {
    const clock = new ManualClock();
    const fake = fakeHetzner({ actionPolls: 1, failAction: { code: 'image_create_failed', message: 'disk error' } });
    const hz = provider(fake, clock);
    const s = await hz.createServer({ name: 'a', labels, userData: '' });
    const err = await clock.run(hz.createSnapshot(s.id, 'x', {}).catch((e) => e));
    expect(err).toMatchObject({ provider: 'hetzner', code: 'image_create_failed' });
    expect(err.message).toContain('disk error');
  });

  it('gives up waiting on an action with action_timeout', async () => {
    const clock = new ManualClock();
    const fake = fakeHetzner({ actionPolls: 1_000_000 });
    const hz = provider(fake, clock, { actionTimeoutMs: 60_000 });
    const s = await hz.createServer({ name: 'a', labels, userData: '' });
    const err = await clock.run(hz.powerOff(s.id).catch((e) => e));
    expect(err).toMatchObject({ code: 'action_timeout', retryable: true });
    expect(clock.now()).toBeGreaterThanOrEqual(new ManualClock().now() + 60_000);
  });

  it('can return without waiting for actions', async () => {
    const fake = fakeHetzner({ actionPolls: 1_000_000 });
    const hz = provider(fake, undefined, { waitForActions: false });
    const s = await hz.createServer({ name: 'a', labels, userData: '' });
    await hz.powerOff(s.id);
    expect(fake.api.calls('GET', /^\/v1\/actions\//)).toHaveLength(0);
  });
});

describe('hetznerFromEnv', () => {
  it('is null without a token', () => {
    expect(hetznerFromEnv({})).toBeNull();
    expect(hetznerFromEnv({ HETZNER_API_TOKEN: '  ' })).toBeNull();
  });

  it('reads HETZNER_API_TOKEN or HCLOUD_TOKEN, HCLOUD_ENDPOINT and HETZNER_SSH_KEY_ID', async () => {
    const fake = fakeHetzner();
    const hz = hetznerFromEnv({ HCLOUD_TOKEN: 'from-hcloud', HCLOUD_ENDPOINT: 'http://hetzner.test/v1', HETZNER_SSH_KEY_ID: '123, 456' }, { fetch: fake.api.fetch })!;
    expect(hz.name).toBe('hetzner');
    expect(hz.api.baseUrl).toBe('http://hetzner.test/v1');
    await hz.createServer({ name: 'a', labels, userData: '' });
    const req = fake.api.requests[0];
    expect(req.headers.get('authorization')).toBe('Bearer from-hcloud');
    expect(req.body.ssh_keys).toEqual(['123', '456']);
    expect(hetznerFromEnv({ HETZNER_API_TOKEN: 'a', HCLOUD_TOKEN: 'b' })!.api.baseUrl).toBe('https://api.hetzner.cloud/v1');
  });

  it('takes HCLOUD_ENDPOINT with or without its /v1 (the emulator prints it with, a bare origin works too)', () => {
    for (const endpoint of ['http://127.0.0.1:4010/v1', 'http://127.0.0.1:4010/v1/', 'http://127.0.0.1:4010', 'http://127.0.0.1:4010/', ' http://127.0.0.1:4010 ']) {
      expect(hetznerFromEnv({ HCLOUD_TOKEN: 't', HCLOUD_ENDPOINT: endpoint })!.api.baseUrl, endpoint).toBe('http://127.0.0.1:4010/v1');
    }
    expect(hetznerBaseUrl('https://proxy.example/hetzner')).toBe('https://proxy.example/hetzner/v1');
    expect(hetznerBaseUrl('https://proxy.example/hetzner/v1')).toBe('https://proxy.example/hetzner/v1');
  });
});
