import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHetznerEmulator, type HetznerEmulator } from './hetzner.ts';
import { BUILDER_USER_DATA, bootstrapFor, call, cloudConfig, expectSpec, fakeBoot, until } from './test-helpers.ts';

const fb = fakeBoot();
let hz: HetznerEmulator;
const api = (method: string, path: string, body?: unknown) => call(hz.baseUrl, hz.token, method, path, body);
const create = (name: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/servers', { name, server_type: 'cpx22', image: 'ubuntu-24.04', location: 'nbg1', user_data: cloudConfig(bootstrapFor(name)), ...extra });

beforeAll(async () => {
  hz = await startHetznerEmulator({ boot: fb.boot, onBuilderBoot: fb.builder, actionDelayMs: 20, actionDelays: { create_image: 150 }, bootDelayMs: 40 });
});
afterAll(async () => {
  await hz.stop();
});
beforeEach(async () => {
  await hz.reset();
  fb.booted.length = 0;
  fb.built.length = 0;
  fb.stopped.length = 0;
});

describe('hetzner emulator: servers', () => {
  it('creates a server (201, spec shape), boots it with the parsed bootstrap config', async () => {
    const b = bootstrapFor('a1');
    const res = await api('POST', '/servers', {
      name: 'hangar-demo-a1',
      server_type: 'cpx22',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      labels: { 'hangar.dev/installation': 'inst1', 'hangar.dev/instance': 'a1' },
      user_data: cloudConfig(b),
    });
    expect(res.status).toBe(201);
    expectSpec('hetzner', 'POST', '/servers', res);
    expect(res.body.root_password).toBeNull();
    expect(res.body.server.status).toBe('initializing');
    expect(res.body.server.public_net.ipv4.ip).toMatch(/^(203\.0\.113|198\.51\.100|192\.0\.2)\./);
    expect(res.body.server.public_net.ipv6.ip).toMatch(/^2001:db8:/);
    expect(res.body.action).toMatchObject({ command: 'create_server', status: 'running', progress: 0 });
    expect(res.body.next_actions.map((a: { command: string }) => a.command)).toEqual(['start_server']);
    const id = res.body.server.id as number;

    await hz.waitForServer(id, 'running');
    await until(() => fb.booted.length === 1);
    expect(fb.booted[0]).toMatchObject({ provider: 'hetzner', id: String(id), name: 'hangar-demo-a1', bootstrap: b, labels: { 'hangar.dev/instance': 'a1' } });
    expect(fb.booted[0].userData).toContain('#cloud-config');

    const got = await api('GET', `/servers/${id}`);
    expect(got.status).toBe(200);
    expectSpec('hetzner', 'GET', '/servers/{id}', got);
    expect(got.body.server.status).toBe('running');
    const action = await api('GET', `/actions/${res.body.action.id}`);
    expectSpec('hetzner', 'GET', '/actions/{id}', action);
    expect(action.body.action).toMatchObject({ status: 'success', progress: 100 });
    expect(action.body.action.finished).toEqual(expect.any(String));
  });

  it('answers 409 uniqueness_error for a name already used in the project', async () => {
    expect((await create('dup')).status).toBe(201);
    const again = await create('dup');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('uniqueness_error');
    expectSpec('hetzner', 'POST', '/servers', again);
  });

  it('validates input like Hetzner: labels, user-data size, server type, location', async () => {
    const badLabel = await create('l1', { labels: { 'hangar.dev/instance': 'x'.repeat(64) } });
    expect(badLabel.status).toBe(400);
    expect(badLabel.body.error).toMatchObject({ code: 'invalid_input', details: { fields: [{ name: 'labels' }] } });
    expectSpec('hetzner', 'POST', '/servers', badLabel);
    const big = await create('u1', { user_data: '#cloud-config\n#' + 'x'.repeat(32 * 1024) });
    expect(big.status).toBe(400);
    expect(big.body.error.details.fields[0].name).toBe('user_data');
    expect((await create('t1', { server_type: 'nope' })).status).toBe(400);
    expect((await create('n_1')).status).toBe(400);
    expect((await create('arm1', { server_type: 'cax11', location: 'ash' })).status).toBe(412);
    const arm = await create('arm2', { server_type: 'cax11' });
    expect(arm.status).toBe(201);
    expect(arm.body.server.image.architecture).toBe('arm');
  });

  it('filters by label selector (=, !=, exists, !exists, in, notin, comma-AND) and name', async () => {
    const specs: [string, Record<string, string>][] = [
      ['s1', { env: 'prod', team: 'a' }],
      ['s2', { env: 'prod' }],
      ['s3', { env: 'dev', team: 'b' }],
      ['s4', {}],
      ['s5', { env: 'staging', team: 'a' }],
    ];
    for (const [name, labels] of specs) expect((await create(name, { labels })).status).toBe(201);
    const names = async (q: string) => {
      const r = await api('GET', `/servers?${q}`);
      expect(r.status).toBe(200);
      expectSpec('hetzner', 'GET', '/servers', r);
      return (r.body.servers as { name: string }[]).map((s) => s.name);
    };
    const sel = (s: string) => names(`label_selector=${encodeURIComponent(s)}`);
    expect(await sel('env=prod')).toEqual(['s1', 's2']);
    expect(await sel('env==prod')).toEqual(['s1', 's2']);
    expect(await sel('env!=prod')).toEqual(['s3', 's4', 's5']);
    expect(await sel('team')).toEqual(['s1', 's3', 's5']);
    expect(await sel('!team')).toEqual(['s2', 's4']);
    expect(await sel('env=prod,team=a')).toEqual(['s1']);
    expect(await sel('env=prod,!team')).toEqual(['s2']);
    expect(await sel('env in (dev,staging)')).toEqual(['s3', 's5']);
    expect(await sel('env notin (dev,staging),team')).toEqual(['s1']);
    expect(await names('name=s3')).toEqual(['s3']);
    expect(await names('name=s3&label_selector=env%3Dprod')).toEqual([]);
    const bad = await api('GET', `/servers?label_selector=${encodeURIComponent('env=(')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
  });

  it('paginates with page/per_page ≤ 50 and meta.pagination', async () => {
    for (let i = 0; i < 57; i++) expect((await create(`p${i}`, { user_data: BUILDER_USER_DATA })).status).toBe(201);
    const p1 = await api('GET', '/servers?per_page=50');
    expectSpec('hetzner', 'GET', '/servers', p1);
    expect(p1.body.servers).toHaveLength(50);
    expect(p1.body.meta.pagination).toEqual({ page: 1, per_page: 50, previous_page: null, next_page: 2, last_page: 2, total_entries: 57 });
    const p2 = await api('GET', '/servers?per_page=50&page=2');
    expect(p2.body.servers).toHaveLength(7);
    expect(p2.body.meta.pagination).toMatchObject({ page: 2, previous_page: 1, next_page: null });
    const ids = [...p1.body.servers, ...p2.body.servers].map((s: { id: number }) => s.id);
    expect(new Set(ids).size).toBe(57);
    expect((await api('GET', '/servers')).body.servers).toHaveLength(25);
    const tooMany = await api('GET', '/servers?per_page=51');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.fields[0].name).toBe('per_page');
  });

  it('answers 404 not_found for unknown servers and actions', async () => {
    for (const [m, p, t] of [
      ['GET', '/servers/999', '/servers/{id}'],
      ['DELETE', '/servers/999', '/servers/{id}'],
      ['POST', '/servers/999/actions/poweroff', '/servers/{id}/actions/poweroff'],
      ['GET', '/actions/999', '/actions/{id}'],
    ] as const) {
      const r = await api(m, p);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
      expectSpec('hetzner', m, t, r);
    }
  });

  it('deletes a server: action, deleting, gone; stops what was booted', async () => {
    const c = await create('del1');
    const id = c.body.server.id as number;
    await hz.waitForServer(id, 'running');
    await until(() => fb.booted.length === 1);
    const d = await api('DELETE', `/servers/${id}`);
    expect(d.status).toBe(200);
    expectSpec('hetzner', 'DELETE', '/servers/{id}', d);
    expect(d.body.action.command).toBe('delete_server');
    await until(() => fb.stopped.includes(String(id)));
    await hz.waitForServer(id, 'gone');
    expect((await api('GET', `/servers/${id}`)).status).toBe(404);
  });

  it('calls onBuilderBoot (not boot) for a server whose user-data has no bootstrap config', async () => {
    const c = await create('builder-1', { user_data: BUILDER_USER_DATA });
    await hz.waitForServer(c.body.server.id, 'running');
    await until(() => fb.built.length === 1);
    expect(fb.booted).toHaveLength(0);
    expect(fb.built[0]).toMatchObject({ name: 'builder-1', userData: BUILDER_USER_DATA });
    expect(hz.state.booter.records[0].kind).toBe('builder');
  });

  it('does not start a server created with start_after_create: false', async () => {
    const c = await create('cold', { start_after_create: false });
    expect(c.body.next_actions).toEqual([]);
    await hz.waitForServer(c.body.server.id, 'off');
    expect(fb.booted).toHaveLength(0);
  });
});

describe('hetzner emulator: snapshots and actions', () => {
  it('powers off, creates a labelled snapshot, lists it by type and label, deletes it', async () => {
    const c = await create('snap-src', { user_data: BUILDER_USER_DATA });
    const id = c.body.server.id as number;
    await hz.waitForServer(id, 'running');
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    expect(off.status).toBe(201);
    expectSpec('hetzner', 'POST', '/servers/{id}/actions/poweroff', off);
    expect(off.body.action).toMatchObject({ command: 'stop_server', status: 'running' });
    await hz.waitForServer(id, 'off');
    expect(fb.stopped).toContain(String(id)); // the builder was stopped by power-off

    const img = await api('POST', `/servers/${id}/actions/create_image`, { type: 'snapshot', description: 'hangar base v3', labels: { 'hangar.dev/bootstrap-version': '3' } });
    expect(img.status).toBe(201);
    expectSpec('hetzner', 'POST', '/servers/{id}/actions/create_image', img);
    expect(img.body.image).toMatchObject({ type: 'snapshot', status: 'creating', description: 'hangar base v3', created_from: { id, name: 'snap-src' } });
    const actionId = img.body.action.id as number;
    expect((await api('GET', `/actions/${actionId}`)).body.action.status).toBe('running');
    await until(async () => (await api('GET', `/actions/${actionId}`)).body.action.status === 'success');
    const perServer = await api('GET', `/servers/${id}/actions/${actionId}`);
    expect(perServer.body.action.id).toBe(actionId);

    const list = await api('GET', `/images?type=snapshot&label_selector=${encodeURIComponent('hangar.dev/bootstrap-version=3')}`);
    expectSpec('hetzner', 'GET', '/images', list);
    expect(list.body.images).toHaveLength(1);
    expect(list.body.images[0]).toMatchObject({ id: img.body.image.id, status: 'available', labels: { 'hangar.dev/bootstrap-version': '3' } });
    expect((await api('GET', `/images?type=snapshot&label_selector=${encodeURIComponent('hangar.dev/bootstrap-version=2')}`)).body.images).toHaveLength(0);
    const system = await api('GET', '/images?type=system&per_page=50');
    expect(system.body.images.every((i: { type: string }) => i.type === 'system')).toBe(true);
    expectSpec('hetzner', 'GET', '/images', system);

    // A server boots from the snapshot by id.
    const fromSnap = await create('from-snap', { image: String(img.body.image.id) });
    expect(fromSnap.status).toBe(201);
    expect(fromSnap.body.server.image).toMatchObject({ id: img.body.image.id, type: 'snapshot' });

    const del = await api('DELETE', `/images/${img.body.image.id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    const again = await api('DELETE', `/images/${img.body.image.id}`);
    expect(again.status).toBe(404);
    expectSpec('hetzner', 'DELETE', '/images/{id}', again);
    expect((await api('DELETE', `/images/${system.body.images[0].id}`)).status).toBe(403);
  });

  it('ends actions in error when told to (action fault injection)', async () => {
    const c = await create('fail-img', { user_data: BUILDER_USER_DATA });
    const id = c.body.server.id as number;
    await hz.waitForServer(id, 'running');
    hz.setFaults({ actionErrorRate: 1, actionErrorCommands: ['create_image'], actionErrorCode: 'image_create_failed' });
    const img = await api('POST', `/servers/${id}/actions/create_image`, { description: 'x' });
    const aid = img.body.action.id as number;
    await until(async () => (await api('GET', `/actions/${aid}`)).body.action.status !== 'running');
    const a = await api('GET', `/actions/${aid}`);
    expectSpec('hetzner', 'GET', '/actions/{id}', a);
    expect(a.body.action).toMatchObject({ status: 'error', error: { code: 'image_create_failed' } });
    expect((await api('GET', `/images/${img.body.image.id}`)).status).toBe(404);
    // Other commands are unaffected.
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    await until(async () => (await api('GET', `/actions/${off.body.action.id}`)).body.action.status === 'success');
  });

  it('fails create_server actions: the server ends off and is never booted', async () => {
    hz.setFaults({ actionErrorRate: 1, actionErrorCommands: ['create_server'] });
    const c = await create('doomed-create');
    await hz.waitForServer(c.body.server.id, 'off');
    const start = await api('GET', `/actions/${c.body.next_actions[0].id}`);
    expect(start.body.action.status).toBe('error');
    expect(fb.booted).toHaveLength(0);
  });
});

describe('hetzner emulator: catalog', () => {
  it('lists server types with prices per location, and locations', async () => {
    const st = await api('GET', '/server_types');
    expect(st.status).toBe(200);
    expectSpec('hetzner', 'GET', '/server_types', st);
    const cpx = st.body.server_types.find((t: { name: string }) => t.name === 'cpx22');
    expect(cpx.prices.map((p: { location: string }) => p.location)).toEqual(['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin']);
    expect(cpx.prices[0].price_hourly.net).toMatch(/^\d+\.\d+$/);
    const loc = await api('GET', '/locations');
    expectSpec('hetzner', 'GET', '/locations', loc);
    expect(loc.body.locations.map((l: { name: string }) => l.name)).toContain('nbg1');
    expectSpec('hetzner', 'GET', '/server_types/{id}', await api('GET', `/server_types/${cpx.id}`));
    expectSpec('hetzner', 'GET', '/locations/{id}', await api('GET', '/locations/1'));
  });
});

describe('hetzner emulator: auth, rate limits, faults, control', () => {
  it('requires a bearer token', async () => {
    for (const token of [null, 'wrong']) {
      const r = await call(hz.baseUrl, token, 'GET', '/servers');
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expectSpec('hetzner', 'GET', '/servers', r);
    }
  });

  it('sends RateLimit-* headers from a 3600/h bucket by default', async () => {
    const r1 = await api('GET', '/locations');
    const r2 = await api('GET', '/locations');
    expect(r1.headers.get('ratelimit-limit')).toBe('3600');
    expect(Number(r1.headers.get('ratelimit-remaining'))).toBe(3599);
    expect(Number(r2.headers.get('ratelimit-remaining'))).toBe(3598);
    const reset = Number(r2.headers.get('ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThan(Date.now() / 1000 + 10);
  });

  it('answers 429 rate_limit_exceeded once a token bucket is empty; other tokens are unaffected', async () => {
    const small = await startHetznerEmulator({ boot: false, tokens: ['t1', 't2'], rateLimit: { capacity: 3, refillPerSecond: 0.001 } });
    try {
      const seen: [number, string | null][] = [];
      for (let i = 0; i < 4; i++) {
        const r = await call(small.baseUrl, 't1', 'GET', '/servers');
        seen.push([r.status, r.headers.get('ratelimit-remaining')]);
        if (r.status === 429) {
          expect(r.body.error.code).toBe('rate_limit_exceeded');
          expectSpec('hetzner', 'GET', '/servers', r);
          expect(r.headers.get('ratelimit-limit')).toBe('3');
          expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 60);
        }
      }
      expect(seen).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
      ]);
      expect((await call(small.baseUrl, 't2', 'GET', '/servers')).status).toBe(200);
      expect(small.stats().rateLimited).toBe(1);
      // Runtime reconfiguration through the control endpoint refills every bucket.
      expect((await call(small.url, null, 'POST', '/_emulator/rate-limit', { capacity: 10, refillPerSecond: 1 })).status).toBe(200);
      expect((await call(small.baseUrl, 't1', 'GET', '/servers')).headers.get('ratelimit-remaining')).toBe('9');
    } finally {
      await small.stop();
    }
  });

  it('injects 5xx deterministically for a given seed', async () => {
    const run = async (seed: number) => {
      hz.setFaults({ seed, errorRate: 0.3 });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await api('GET', '/locations');
        if (r.status >= 500) {
          expect(r.body.error.code).toMatch(/^(unavailable|server_error)$/);
          expectSpec('hetzner', 'GET', '/locations', r);
        }
        out.push(r.status);
      }
      return out;
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const failures = a.filter((s) => s >= 500).length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(20);
    expect(new Set(a.filter((s) => s >= 500))).toEqual(new Set([500, 503]));
    hz.clearFaults();
    expect((await api('GET', '/locations')).status).toBe(200);
  });

  it('forces 429s and N-next failures, limited to chosen routes, and adds latency', async () => {
    hz.setFaults({ rateLimitNext: 1, errorNext: 1, routes: ['POST /v1/servers'] });
    expect((await api('GET', '/servers')).status).toBe(200);
    const r429 = await create('f1');
    expect(r429.status).toBe(429);
    expect(r429.body.error.code).toBe('rate_limit_exceeded');
    expect(r429.headers.get('ratelimit-limit')).toBe('3600');
    expect((await create('f1')).status).toBeGreaterThanOrEqual(500);
    expect((await create('f1')).status).toBe(201);
    expect(hz.stats()).toMatchObject({ forced429: 1, injected5xx: 1 });
    hz.setFaults({ routes: [], latencyMs: 60 });
    const t0 = Date.now();
    expect((await api('GET', '/locations')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('makes servers vanish (control endpoint and fault), stopping their boot', async () => {
    const c = await create('v1');
    const id = c.body.server.id as number;
    await hz.waitForServer(id, 'running');
    const v = await call(hz.url, null, 'POST', `/_emulator/vanish/${id}`);
    expect(v.status).toBe(200);
    expect((await api('GET', `/servers/${id}`)).status).toBe(404);
    expect(fb.stopped).toContain(String(id));
    expect((await call(hz.url, null, 'POST', `/_emulator/vanish/${id}`)).status).toBe(404);

    hz.setFaults({ vanishRate: 1, vanishAfterMs: 30 });
    const d = await create('v2');
    await hz.waitForServer(d.body.server.id, 'gone');
    expect(hz.state.servers.size).toBe(0);
  });

  it('reports state, call counts and 429s over /_emulator, changes faults and resets', async () => {
    await create('st1', { labels: { a: 'b' } });
    await api('GET', '/servers');
    await api('GET', '/servers/1');
    const s = await call(hz.url, null, 'GET', '/_emulator/state');
    expect(s.status).toBe(200);
    expect(s.body.servers).toEqual([expect.objectContaining({ name: 'st1', labels: { a: 'b' } })]);
    expect(s.body.calls).toMatchObject({ 'POST /v1/servers': 1, 'GET /v1/servers': 1, 'GET /v1/servers/{id}': 1 });
    expect(s.body.stats).toMatchObject({ requests: 3, rateLimited: 0 });
    const f = await call(hz.url, null, 'POST', '/_emulator/faults', { errorRate: 1, errorStatuses: [500] });
    expect(f.body).toMatchObject({ errorRate: 1 });
    expect((await api('GET', '/servers')).status).toBe(500);
    expect((await call(hz.url, null, 'DELETE', '/_emulator/faults')).body.errorRate).toBe(0);
    expect((await call(hz.url, null, 'POST', '/_emulator/reset')).status).toBe(200);
    const after = await call(hz.url, null, 'GET', '/_emulator/state');
    expect(after.body.servers).toEqual([]);
    expect(after.body.calls).toEqual({});
  });
});
