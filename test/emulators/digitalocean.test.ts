import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { duplicateOwners } from './common.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from './digitalocean.ts';
import { BUILDER_USER_DATA, bootstrapFor, call, cloudConfig, expectSpec, fakeBoot, until } from './test-helpers.ts';

const fb = fakeBoot();
let d: DigitalOceanEmulator;
// DigitalOcean's spec paths carry /v2 themselves: call against the root URL.
const api = (method: string, path: string, body?: unknown) => call(d.url, d.token, method, path, body);
const create = (name: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/v2/droplets', { name, region: 'fra1', size: 's-1vcpu-2gb', image: 'ubuntu-24-04-x64', user_data: cloudConfig(bootstrapFor(name)), ...extra });

beforeAll(async () => {
  d = await startDigitalOceanEmulator({ boot: fb.boot, onBuilderBoot: fb.builder, actionDelayMs: 20, actionDelays: { snapshot: 120 }, bootDelayMs: 40 });
});
afterAll(async () => {
  await d.stop();
});
beforeEach(async () => {
  await d.reset();
  fb.booted.length = 0;
  fb.built.length = 0;
  fb.stopped.length = 0;
});

describe('digital-ocean emulator: droplets', () => {
  it('creates a droplet (202, spec shape), tags it, boots it with the parsed bootstrap config', async () => {
    const b = bootstrapFor('d1');
    const res = await api('POST', '/v2/droplets', {
      name: 'hangar-demo-d1',
      region: 'fra1',
      size: 's-1vcpu-2gb',
      image: 'ubuntu-24-04-x64',
      tags: ['hangar-installation-inst1', 'hangar-instance-d1'],
      user_data: cloudConfig(b),
    });
    expect(res.status).toBe(202);
    expectSpec('digitalocean', 'POST', '/v2/droplets', res);
    expect(res.body.droplet).toMatchObject({ name: 'hangar-demo-d1', status: 'new', size_slug: 's-1vcpu-2gb', tags: ['hangar-installation-inst1', 'hangar-instance-d1'] });
    expect(res.body.droplet.networks.v4).toEqual([]);
    expect(res.body.links.actions[0]).toMatchObject({ rel: 'create', href: expect.stringContaining('/v2/actions/') });
    const id = res.body.droplet.id as number;

    await d.waitForDroplet(id, 'active');
    await until(() => fb.booted.length === 1);
    expect(fb.booted[0]).toMatchObject({ provider: 'digital-ocean', id: String(id), name: 'hangar-demo-d1', bootstrap: b });
    const got = await api('GET', `/v2/droplets/${id}`);
    expectSpec('digitalocean', 'GET', '/v2/droplets/{droplet_id}', got);
    expect(got.body.droplet.status).toBe('active');
    expect(got.body.droplet.networks.v4[0]).toMatchObject({ type: 'public', ip_address: expect.stringMatching(/^(203\.0\.113|198\.51\.100|192\.0\.2)\./) });
    const action = await api('GET', `/v2/actions/${res.body.links.actions[0].id}`);
    expectSpec('digitalocean', 'GET', '/v2/actions/{action_id}', action);
    expect(action.body.action).toMatchObject({ type: 'create', status: 'completed', resource_id: id });
  });

  it('allows duplicate names (names are not unique on DigitalOcean)', async () => {
    expect((await create('twin')).status).toBe(202);
    expect((await create('twin')).status).toBe(202);
    const list = await api('GET', '/v2/droplets?name=twin');
    expectSpec('digitalocean', 'GET', '/v2/droplets', list);
    expect(list.body.droplets).toHaveLength(2);
    expect(list.body.meta.total).toBe(2);
  });

  it('validates input like DigitalOcean: 422 with {id, message}', async () => {
    const cases: Record<string, unknown>[] = [
      { size: 'huge-1' },
      { region: 'mars1' },
      { image: 'windows-95' },
      { tags: ['bad tag!'] },
      { user_data: 'x'.repeat(64 * 1024 + 1) },
      { name: 'bad name' },
      { size: 'g-2vcpu-8gb', region: 'sgp1' },
    ];
    for (const extra of cases) {
      const r = await create('v1', extra);
      expect(r.status, JSON.stringify(extra).slice(0, 80)).toBe(422);
      expect(r.body.id).toBe('unprocessable_entity');
      expectSpec('digitalocean', 'POST', '/v2/droplets', r);
    }
    expect((await create('v1', { user_data: 'x'.repeat(64 * 1024) })).status).toBe(202);
    expect(d.state.droplets.size).toBe(1);
  });

  it('lists by tag_name and paginates with links.pages and meta.total (per_page ≤ 200)', async () => {
    for (let i = 0; i < 7; i++) await create(`p${i}`, { tags: i % 2 ? ['odd'] : ['even'] });
    const even = await api('GET', '/v2/droplets?tag_name=even');
    expect(even.body.droplets.map((x: { name: string }) => x.name)).toEqual(['p0', 'p2', 'p4', 'p6']);
    const p1 = await api('GET', '/v2/droplets?per_page=3');
    expectSpec('digitalocean', 'GET', '/v2/droplets', p1);
    expect(p1.body.droplets).toHaveLength(3);
    expect(p1.body.meta.total).toBe(7);
    const next = new URL(p1.body.links.pages.next);
    expect(next.origin).toBe(d.url);
    expect([next.searchParams.get('page'), next.searchParams.get('per_page')]).toEqual(['2', '3']);
    const p3 = await api('GET', '/v2/droplets?per_page=3&page=3');
    expect(p3.body.droplets.map((x: { name: string }) => x.name)).toEqual(['p6']);
    expect(p3.body.links.pages.next).toBeUndefined();
    expect(p3.body.links.pages.prev).toContain('page=2');
    expect((await api('GET', '/v2/droplets?per_page=201')).status).toBe(422);
  });

  it('deletes with 204 and answers 404 after; stops what was booted', async () => {
    const c = await create('del1');
    const id = c.body.droplet.id as number;
    await d.waitForDroplet(id, 'active');
    await until(() => fb.booted.length === 1);
    const del = await api('DELETE', `/v2/droplets/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    const gone = await api('GET', `/v2/droplets/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.id).toBe('not_found');
    expectSpec('digitalocean', 'GET', '/v2/droplets/{droplet_id}', gone);
    expect((await api('DELETE', `/v2/droplets/${id}`)).status).toBe(404);
    await until(() => fb.stopped.includes(String(id)));
    expect(d.state.history).toEqual([expect.objectContaining({ id, deleted: expect.any(String), vanished: false })]);
  });

  it('calls onBuilderBoot for a droplet whose user-data has no bootstrap config', async () => {
    const c = await create('builder', { user_data: BUILDER_USER_DATA });
    await d.waitForDroplet(c.body.droplet.id, 'active');
    await until(() => fb.built.length === 1);
    expect(fb.booted).toHaveLength(0);
  });
});

describe('digital-ocean emulator: actions, snapshots, tags', () => {
  it('powers off, snapshots, lists the droplet snapshots, tags the snapshot, lists it by tag, deletes it', async () => {
    const c = await create('snap1');
    const id = c.body.droplet.id as number;
    await d.waitForDroplet(id, 'active');
    const off = await api('POST', `/v2/droplets/${id}/actions`, { type: 'power_off' });
    expect(off.status).toBe(201);
    expectSpec('digitalocean', 'POST', '/v2/droplets/{droplet_id}/actions', off);
    await d.waitForDroplet(id, 'off');
    const snap = await api('POST', `/v2/droplets/${id}/actions`, { type: 'snapshot', name: 'hangar-base-dev' });
    expect(snap.body.action).toMatchObject({ type: 'snapshot', status: 'in-progress' });
    await until(async () => (await api('GET', `/v2/actions/${snap.body.action.id}`)).body.action.status === 'completed');

    const ds = await api('GET', `/v2/droplets/${id}/snapshots`);
    expectSpec('digitalocean', 'GET', '/v2/droplets/{droplet_id}/snapshots', ds);
    expect(ds.body.snapshots).toEqual([expect.objectContaining({ name: 'hangar-base-dev', type: 'snapshot' })]);
    const snapId = ds.body.snapshots[0].id as number;

    const tag = await api('POST', '/v2/tags', { name: 'hangar-bootstrap-version-dev' });
    expect(tag.status).toBe(201);
    expectSpec('digitalocean', 'POST', '/v2/tags', tag);
    const tr = await api('POST', '/v2/tags/hangar-bootstrap-version-dev/resources', { resources: [{ resource_id: String(snapId), resource_type: 'image' }] });
    expect(tr.status).toBe(204);
    const snaps = await api('GET', '/v2/snapshots?resource_type=droplet');
    expectSpec('digitalocean', 'GET', '/v2/snapshots', snaps);
    expect(snaps.body.snapshots).toEqual([expect.objectContaining({ id: String(snapId), tags: ['hangar-bootstrap-version-dev'], resource_id: String(id), resource_type: 'droplet' })]);
    const t = await api('GET', '/v2/tags/hangar-bootstrap-version-dev');
    expectSpec('digitalocean', 'GET', '/v2/tags/{tag_id}', t);
    expect(t.body.tag.resources.count).toBe(1);

    expect((await api('DELETE', `/v2/snapshots/${snapId}`)).status).toBe(204);
    expect((await api('GET', `/v2/snapshots/${snapId}`)).status).toBe(404);
  });

  it('ends actions errored when told to', async () => {
    const c = await create('aerr');
    const id = c.body.droplet.id as number;
    await d.waitForDroplet(id, 'active');
    d.setFaults({ actionErrorRate: 1, actionErrorCommands: ['snapshot'] });
    const snap = await api('POST', `/v2/droplets/${id}/actions`, { type: 'snapshot', name: 'x' });
    await until(async () => (await api('GET', `/v2/actions/${snap.body.action.id}`)).body.action.status !== 'in-progress');
    expect((await api('GET', `/v2/actions/${snap.body.action.id}`)).body.action.status).toBe('errored');
    expect((await api('GET', `/v2/droplets/${id}/snapshots`)).body.snapshots).toEqual([]);
  });
});

describe('digital-ocean emulator: catalog', () => {
  it('lists sizes, regions and distribution images in spec shape', async () => {
    const sizes = await api('GET', '/v2/sizes');
    expectSpec('digitalocean', 'GET', '/v2/sizes', sizes);
    expect(sizes.body.sizes[0]).toMatchObject({ slug: 's-1vcpu-1gb', price_monthly: 6, regions: expect.arrayContaining(['fra1']) });
    const regions = await api('GET', '/v2/regions');
    expectSpec('digitalocean', 'GET', '/v2/regions', regions);
    expect(regions.body.regions.map((r: { slug: string }) => r.slug)).toContain('fra1');
    const images = await api('GET', '/v2/images?type=distribution');
    expectSpec('digitalocean', 'GET', '/v2/images', images);
    expect(images.body.images.map((i: { slug: string }) => i.slug)).toContain('ubuntu-24-04-x64');
  });
});

describe('digital-ocean emulator: auth, rate limits, faults', () => {
  it('requires a bearer token: 401 {id: Unauthorized}', async () => {
    const r = await call(d.url, null, 'GET', '/v2/droplets');
    expect(r.status).toBe(401);
    expect(r.body.id).toBe('Unauthorized');
    expectSpec('digitalocean', 'GET', '/v2/droplets', r);
  });

  it('sends ratelimit-* headers (5000/h) and enforces the unadvertised per-minute bucket with retry-after', async () => {
    const r = await api('GET', '/v2/regions');
    expect(r.headers.get('ratelimit-limit')).toBe('5000');
    expect(r.headers.get('ratelimit-remaining')).toBe('4999');
    expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    const small = await startDigitalOceanEmulator({ boot: false, rateLimit: [{ capacity: 100, refillPerSecond: 0.01 }, { capacity: 2, refillPerSecond: 0.05 }] });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | null = null;
      for (let i = 0; i < 3; i++) {
        last = await call(small.url, small.token, 'GET', '/v2/regions');
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last!.body.id).toBe('too_many_requests');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
      // Like the vendor (its sample "when burst limit is reached"): remaining 0, the hourly reset, retry-after.
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
      expect(last!.headers.get('ratelimit-limit')).toBe('100');
      expectSpec('digitalocean', 'GET', '/v2/regions', last!);
    } finally {
      await small.stop();
    }
  });

  it('injects 5xx before or after carrying out the request', async () => {
    d.setFaults({ errorNext: 1, errorProcessedRate: 1, routes: ['POST /v2/droplets'] });
    const r = await create('ghost');
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.body.id).toMatch(/server_error|service_unavailable/);
    // The droplet exists although the client saw an error: only its tags can find it again.
    expect([...d.state.droplets.values()].map((x) => x.name)).toEqual(['ghost']);
    expect(d.stats()).toMatchObject({ injected5xx: 1, injected5xxProcessed: 1 });
    d.setFaults({ errorNext: 1, errorProcessedRate: 0 });
    expect((await create('ghost2')).status).toBeGreaterThanOrEqual(500);
    expect(d.state.droplets.size).toBe(1);
  });

  it('keeps a history of droplets per Hangar instance, including vanished ones', async () => {
    const a = await create('h1', { tags: ['hangar-instance-aaa'] });
    await create('h2', { tags: ['hangar-instance-bbb'] });
    expect(await d.vanish(a.body.droplet.id)).toBe(true);
    await create('h1', { tags: ['hangar-instance-aaa'] });
    expect(duplicateOwners(d.state.history)).toEqual({ aaa: [a.body.droplet.id, expect.any(Number)] });
    const s = await call(d.url, null, 'GET', '/_emulator/state');
    expect(s.body.history.find((h: { id: number }) => h.id === a.body.droplet.id)).toMatchObject({ instance: 'aaa', vanished: true });
    expect(s.body.calls['POST /v2/droplets']).toBe(3);
  });
});
