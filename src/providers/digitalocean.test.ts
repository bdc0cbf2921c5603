import { afterEach, describe, expect, it } from 'vitest';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_INSTANCE, labelsToTags } from '../domain/names.ts';
import { DigitalOceanProvider, digitalOceanBaseUrl, digitalOceanFromEnv, type DoAction, type DoDroplet, type DoSnapshot } from './digitalocean.ts';
import { ManualClock } from '../http/clock.testing.ts';
import { FakeApi, json, type FakeRequest } from '../http/fake-api.testing.ts';
import { resetGovernors } from '../http/governor.ts';

afterEach(() => resetGovernors());

/** A small stateful DigitalOcean: droplets, tags, snapshots and actions that complete after N polls. */
function fakeDO(opts: { actionPolls?: number; errorActions?: boolean } = {}) {
  const api = new FakeApi();
  const droplets = new Map<number, DoDroplet>();
  const snapshots = new Map<number, DoSnapshot & { dropletId: number }>();
  const tags = new Set<string>();
  const actions = new Map<number, DoAction & { polls: number; onDone?: () => void }>();
  let nextId = 5000;
  const notFound = () => json(404, { id: 'not_found', message: 'The resource you requested could not be found.' });
  const page = <T>(req: FakeRequest, key: string, all: T[]) => {
    const p = Number(req.url.searchParams.get('page') ?? 1);
    const per = Number(req.url.searchParams.get('per_page') ?? 20);
    if (per > 200) return json(422, { id: 'unprocessable_entity', message: 'per_page must be ≤ 200' });
    const more = p * per < all.length;
    return json(200, { [key]: all.slice((p - 1) * per, p * per), links: more ? { pages: { next: `https://api.digitalocean.com${req.path}?page=${p + 1}&per_page=${per}` } } : {}, meta: { total: all.length } });
  };
  const newAction = (type: string, dropletId: number, onDone?: () => void) => {
    const a = { id: nextId++, status: 'in-progress' as const, type, resource_id: dropletId, resource_type: 'droplet', polls: 0, onDone };
    actions.set(a.id, a);
    return { id: a.id, status: a.status, type, resource_id: dropletId, resource_type: 'droplet' };
  };

  api.on('POST', '/v2/droplets', (req) => {
    const b = req.body;
    if (!b.name || !b.size || b.image === undefined) return json(422, { id: 'unprocessable_entity', message: 'missing field' });
    if ((b.tags ?? []).some((t: string) => !/^[A-Za-z0-9:_-]+$/.test(t))) return json(422, { id: 'unprocessable_entity', message: 'bad tag' });
    const id = nextId++;
    for (const t of b.tags ?? []) tags.add(t);
    const d: DoDroplet = {
      id,
      name: b.name,
      status: 'new',
      created_at: new Date(0).toISOString(),
      networks: { v4: [{ ip_address: '10.0.0.5', type: 'private' }, { ip_address: `198.51.100.${id % 250}`, type: 'public' }], v6: [] },
      region: { slug: b.region, name: 'Frankfurt 1' },
      size_slug: b.size,
      image: typeof b.image === 'number' ? { id: b.image, slug: null } : { id: 1, slug: b.image },
      tags: b.tags ?? [],
    };
    droplets.set(id, d);
    return json(202, { droplet: d, links: { actions: [] } });
  });
  api.on('GET', '/v2/droplets', (req) => {
    const tag = req.url.searchParams.get('tag_name');
    const name = req.url.searchParams.get('name');
    if (tag && name) return json(422, { id: 'unprocessable_entity', message: 'tag_name and name are exclusive' });
    return page(req, 'droplets', [...droplets.values()].filter((d) => (!tag || d.tags.includes(tag)) && (!name || d.name === name)));
  });
  api.on('GET', /^\/v2\/droplets\/(\d+)$/, (_r, [id]) => (droplets.has(Number(id)) ? json(200, { droplet: droplets.get(Number(id)) }) : notFound()));
  api.on('DELETE', /^\/v2\/droplets\/(\d+)$/, (_r, [id]) => (droplets.delete(Number(id)) ? json(204) : notFound()));
  api.on('POST', /^\/v2\/droplets\/(\d+)\/actions$/, (req, [id]) => {
    const d = droplets.get(Number(id));
    if (!d) return notFound();
    if (req.body.type === 'power_off') return json(201, { action: newAction('power_off', d.id, () => (d.status = 'off')) });
    if (req.body.type === 'snapshot') {
      return json(201, {
        action: newAction('snapshot', d.id, () => {
          const sid = nextId++;
          snapshots.set(sid, { id: String(sid), name: req.body.name, created_at: new Date(sid * 1000).toISOString(), regions: [d.region.slug], size_gigabytes: 2.4, resource_id: String(d.id), resource_type: 'droplet', tags: [], dropletId: d.id });
        }),
      });
    }
    return json(422, { id: 'unprocessable_entity', message: 'unknown type' });
  });
  api.on('GET', /^\/v2\/actions\/(\d+)$/, (_r, [id]) => {
    const a = actions.get(Number(id));
    if (!a) return notFound();
    if (++a.polls >= (opts.actionPolls ?? 2) && a.status === 'in-progress') {
      if (opts.errorActions) (a as DoAction).status = 'errored';
      else {
        (a as DoAction).status = 'completed';
        a.onDone?.();
      }
    }
    return json(200, { action: { id: a.id, status: a.status, type: a.type, resource_id: a.resource_id, resource_type: a.resource_type } });
  });
  api.on('GET', /^\/v2\/droplets\/(\d+)\/snapshots$/, (req, [id]) =>
    page(req, 'snapshots', [...snapshots.values()].filter((s) => s.dropletId === Number(id)).map((s) => ({ id: Number(s.id), name: s.name, created_at: s.created_at, regions: s.regions, min_disk_size: 25, size_gigabytes: s.size_gigabytes, type: 'snapshot' }))),
  );
  api.on('GET', '/v2/snapshots', (req) => {
    const rt = req.url.searchParams.get('resource_type');
    return page(req, 'snapshots', [...snapshots.values()].filter((s) => !rt || s.resource_type === rt).map(({ dropletId: _d, ...s }) => s));
  });
  api.on('DELETE', /^\/v2\/snapshots\/(\d+)$/, (_r, [id]) => (snapshots.delete(Number(id)) ? json(204) : notFound()));
  api.on('POST', '/v2/tags', (req) => {
    tags.add(req.body.name);
    return json(201, { tag: { name: req.body.name, resources: { count: 0 } } });
  });
  api.on('POST', /^\/v2\/tags\/([^/]+)\/resources$/, (req, [tag]) => {
    if (!tags.has(decodeURIComponent(tag))) return notFound();
    for (const r of req.body.resources) {
      if (r.resource_type !== 'image') return json(422, { id: 'unprocessable_entity', message: 'wrong resource type' });
      const s = snapshots.get(Number(r.resource_id));
      if (!s) return notFound();
      if (!s.tags!.includes(decodeURIComponent(tag))) s.tags!.push(decodeURIComponent(tag));
    }
    return json(204);
  });
  return { api, droplets, snapshots, tags, actions };
}

function provider(fake: ReturnType<typeof fakeDO>, clock = new ManualClock(), extra: Partial<ConstructorParameters<typeof DigitalOceanProvider>[0]> = {}) {
  return new DigitalOceanProvider({ token: `t-${Math.random()}`, baseUrl: 'http://do.test', fetch: fake.api.fetch, clock, ...extra });
}

const labels = { [LABEL_INSTALLATION]: 'inst-1', [LABEL_INSTANCE]: '11111111-2222-3333-4444-555555555555' };

describe('DigitalOceanProvider', () => {
  it('creates a droplet with tags for labels and answers the 202 as a creating server', async () => {
    const fake = fakeDO();
    const dop = provider(fake);
    const info = await dop.createServer({ name: 'hangar-acme-11111111', labels, userData: '#cloud-config\n', sshKeys: ['12345', 'aa:bb:cc'], location: 'ams3' });
    expect(fake.api.calls('POST', '/v2/droplets')[0].body).toEqual({
      name: 'hangar-acme-11111111',
      region: 'ams3',
      size: 's-1vcpu-2gb',
      image: 'ubuntu-24-04-x64',
      tags: ['hangar-installation-inst-1', 'hangar-instance-11111111-2222-3333-4444-555555555555'],
      user_data: '#cloud-config\n',
      ssh_keys: [12345, 'aa:bb:cc'],
    });
    expect(info).toMatchObject({ name: 'hangar-acme-11111111', status: 'creating', labels, location: 'ams3', serverType: 's-1vcpu-2gb', image: 'ubuntu-24-04-x64' });
    expect(info.ipv4).toMatch(/^198\.51\.100\./);
  });

  it('creates from a snapshot id as a number', async () => {
    const fake = fakeDO();
    await provider(fake).createServer({ name: 'a', labels, userData: '', image: '987654' });
    expect(fake.api.requests[0].body.image).toBe(987654);
  });

  it('refuses user-data over 64 KiB', async () => {
    const fake = fakeDO();
    const dop = provider(fake);
    await expect(dop.createServer({ name: 'a', labels, userData: 'x'.repeat(65537) })).rejects.toMatchObject({ code: 'user_data_too_large' });
    await expect(dop.createServer({ name: 'a', labels, userData: 'x'.repeat(65536) })).resolves.toBeTruthy();
  });

  it('finds droplets by the instance tag and filters the other labels and the name locally (names are not unique)', async () => {
    const fake = fakeDO();
    const dop = provider(fake);
    await dop.createServer({ name: 'twin', labels, userData: '' });
    await dop.createServer({ name: 'twin', labels: { ...labels, [LABEL_INSTANCE]: 'other' }, userData: '' });
    await dop.createServer({ name: 'twin', labels: { [LABEL_INSTALLATION]: 'inst-2', [LABEL_INSTANCE]: labels[LABEL_INSTANCE] }, userData: '' });
    const found = await dop.findServers({ labels });
    expect(found).toHaveLength(1);
    expect(found[0].labels).toEqual(labels);
    const q = fake.api.calls('GET', '/v2/droplets')[0].url.searchParams;
    expect([q.get('tag_name'), q.get('per_page')]).toEqual([`hangar-instance-${labels[LABEL_INSTANCE]}`, '200']);
    expect(await dop.findServers({ name: 'twin' })).toHaveLength(3);
    expect(await dop.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-1' }, name: 'twin' })).toHaveLength(2);
  });

  it('paginates past 200 droplets', async () => {
    const fake = fakeDO();
    const dop = provider(fake);
    for (let i = 0; i < 230; i++) await dop.createServer({ name: `d${i}`, labels, userData: '' });
    expect(await dop.findServers({ labels })).toHaveLength(230);
    expect(fake.api.calls('GET', '/v2/droplets').map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2']);
  });

  it('getServer answers null for 404, deleteServer treats 404 as done', async () => {
    const fake = fakeDO();
    const dop = provider(fake);
    const s = await dop.createServer({ name: 'a', labels, userData: '' });
    expect((await dop.getServer(s.id))?.id).toBe(s.id);
    await dop.deleteServer(s.id);
    expect(await dop.getServer(s.id)).toBeNull();
    await expect(dop.deleteServer(s.id)).resolves.toBeUndefined();
  });

  it('lists sizes with per-region USD prices, and regions', async () => {
    const fake = fakeDO();
    fake.api.on('GET', '/v2/sizes', () =>
      json(200, {
        sizes: [
          { slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, transfer: 2, price_monthly: 12, price_hourly: 0.01786, regions: ['fra1', 'ams3'], available: true, description: 'Basic' },
          { slug: 's-gone', memory: 512, vcpus: 1, disk: 10, transfer: 0.5, price_monthly: 4, price_hourly: 0.006, regions: [], available: false, description: 'Old' },
        ],
        links: {},
        meta: { total: 2 },
      }),
    );
    fake.api.on('GET', '/v2/regions', () =>
      json(200, { regions: [{ name: 'Frankfurt 1', slug: 'fra1', features: [], available: true, sizes: [] }, { name: 'New York 2', slug: 'nyc2', features: [], available: false, sizes: [] }], links: {}, meta: { total: 2 } }),
    );
    const dop = provider(fake);
    expect(await dop.listServerTypes()).toEqual([
      {
        name: 's-1vcpu-2gb',
        description: 'Basic',
        cores: 1,
        memoryGb: 2,
        diskGb: 50,
        architecture: 'x86',
        prices: [
          { location: 'fra1', hourly: 0.01786, monthly: 12, currency: 'USD' },
          { location: 'ams3', hourly: 0.01786, monthly: 12, currency: 'USD' },
        ],
      },
    ]);
    expect(await dop.listLocations()).toEqual([{ name: 'fra1', description: 'Frankfurt 1', city: 'Frankfurt', country: 'DE' }]);
  });

  it('powers off and polls /v2/actions until completed', async () => {
    const clock = new ManualClock();
    const fake = fakeDO({ actionPolls: 3 });
    const dop = provider(fake, clock);
    const s = await dop.createServer({ name: 'a', labels, userData: '' });
    await clock.run(dop.powerOff(s.id));
    expect(fake.api.calls('POST', /actions$/)[0].body).toEqual({ type: 'power_off' });
    expect(fake.api.calls('GET', /^\/v2\/actions\//)).toHaveLength(3);
    expect((await dop.getServer(s.id))?.status).toBe('off');
  });

  it('an errored action throws action_errored', async () => {
    const clock = new ManualClock();
    const fake = fakeDO({ actionPolls: 1, errorActions: true });
    const dop = provider(fake, clock);
    const s = await dop.createServer({ name: 'a', labels, userData: '' });
    await expect(clock.run(dop.powerOff(s.id))).rejects.toMatchObject({ provider: 'digital-ocean', code: 'action_errored' });
  });

  it('snapshots, finds the snapshot by name, tags it with the labels, and lists it by label', async () => {
    const clock = new ManualClock();
    const fake = fakeDO();
    const dop = provider(fake, clock);
    const s = await dop.createServer({ name: 'builder', labels, userData: '' });
    const snapLabels = { [LABEL_INSTALLATION]: 'inst-1', [LABEL_BOOTSTRAP_VERSION]: '7' };
    const img = await clock.run(dop.createSnapshot(s.id, 'hangar-base-v7', snapLabels));
    expect(img).toMatchObject({ kind: 'snapshot', name: 'hangar-base-v7', labels: snapLabels, locations: ['fra1'] });
    expect(fake.api.calls('POST', /actions$/)[0].body).toEqual({ type: 'snapshot', name: 'hangar-base-v7' });
    const stored = fake.snapshots.get(Number(img.id))!;
    expect(stored.tags).toEqual(labelsToTags(snapLabels));
    expect(fake.api.calls('POST', /^\/v2\/tags\/[^/]+\/resources$/)[0].body).toEqual({ resources: [{ resource_id: img.id, resource_type: 'image' }] });

    const listed = await dop.listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: '7' } });
    expect(listed).toEqual([expect.objectContaining({ id: img.id, labels: snapLabels })]);
    expect(fake.api.calls('GET', '/v2/snapshots').at(-1)!.url.searchParams.get('resource_type')).toBe('droplet');
    expect(await dop.listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: '8' } })).toEqual([]);

    // A retried step adopts the snapshot instead of taking a second one.
    const again = await clock.run(dop.createSnapshot(s.id, 'hangar-base-v7', snapLabels));
    expect(again.id).toBe(img.id);
    expect(fake.api.calls('POST', /actions$/)).toHaveLength(1);

    await dop.deleteSnapshot(img.id);
    await expect(dop.deleteSnapshot(img.id)).resolves.toBeUndefined();
    expect(fake.snapshots.size).toBe(0);
  });

  it('lists distribution images by slug', async () => {
    const fake = fakeDO();
    fake.api.on('GET', '/v2/images', (req) =>
      json(200, {
        images: req.url.searchParams.get('type') === 'distribution' ? [{ id: 1, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', public: true, regions: ['fra1'], status: 'available' }] : [],
        links: {},
        meta: { total: 1 },
      }),
    );
    expect(await provider(fake).listImages({ kind: 'system' })).toEqual([
      expect.objectContaining({ id: '1', name: 'ubuntu-24-04-x64', description: 'Ubuntu 24.04 (LTS) x64', kind: 'system', labels: {} }),
    ]);
  });
});

describe('digitalOceanFromEnv', () => {
  it('is null without a token and reads the token and URL variables', () => {
    expect(digitalOceanFromEnv({})).toBeNull();
    const a = digitalOceanFromEnv({ DIGITALOCEAN_API_TOKEN: 'x', DIGITALOCEAN_API_URL: 'http://do.test/' })!;
    expect([a.name, a.api.baseUrl, a.userDataLimit]).toEqual(['digital-ocean', 'http://do.test', 65536]);
    expect(digitalOceanFromEnv({ DIGITALOCEAN_TOKEN: 'y' })!.api.baseUrl).toBe('https://api.digitalocean.com');
  });

  it('takes DIGITALOCEAN_API_URL with or without its /v2 (the emulator prints it with; the paths carry /v2)', () => {
    for (const url of ['http://127.0.0.1:4011/v2', 'http://127.0.0.1:4011/v2/', 'http://127.0.0.1:4011', 'http://127.0.0.1:4011/']) {
      expect(digitalOceanFromEnv({ DIGITALOCEAN_TOKEN: 't', DIGITALOCEAN_API_URL: url })!.api.baseUrl, url).toBe('http://127.0.0.1:4011');
    }
    expect(digitalOceanBaseUrl('https://api.digitalocean.com/v2')).toBe('https://api.digitalocean.com');
    expect(digitalOceanBaseUrl('https://proxy.example/do/v2/')).toBe('https://proxy.example/do');
    expect(digitalOceanBaseUrl('https://proxy.example/v22')).toBe('https://proxy.example/v22');
  });

  it('sends the token as a bearer', async () => {
    const fake = fakeDO();
    const dop = digitalOceanFromEnv({ DIGITALOCEAN_TOKEN: 'tok-do', DIGITALOCEAN_API_URL: 'http://do.test' }, { fetch: fake.api.fetch })!;
    await dop.findServers({});
    expect(fake.api.requests[0].headers.get('authorization')).toBe('Bearer tok-do');
  });
});
