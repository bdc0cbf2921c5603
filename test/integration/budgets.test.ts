/**
 * Prices, choices, capacity fallback and budgets against the Hetzner and DigitalOcean emulators
 * (servers "boot" without an agent: what is under test ends when the server exists). Runs on
 * PGlite and, in the DATABASE_URL pass, on PostgreSQL; the race across replica processes needs
 * the shared PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newInstanceCost } from '../../src/domain/budget.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { testDatabase } from '../helpers/db.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { freePort, spawnHangar, type HangarProcess } from '../helpers/process.ts';

let hz: HetznerEmulator;
let d: DigitalOceanEmulator;
let h: TestHangar;

beforeAll(async () => {
  hz = await startHetznerEmulator({ boot: false, tokens: '*', bootDelayMs: 50, actionDelayMs: 20 });
  d = await startDigitalOceanEmulator({ boot: false, tokens: '*', bootDelayMs: 50, actionDelayMs: 20 });
  const reg = providersFromEnv({
    HETZNER_API_TOKEN: `hz-${randomUUID()}`,
    HCLOUD_ENDPOINT: hz.baseUrl,
    DIGITALOCEAN_API_TOKEN: `do-${randomUUID()}`,
    DIGITALOCEAN_API_URL: d.url,
    HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*',
  });
  h = await startTestHangar('budgets', { reconcileSeconds: 0, connectTimeoutSeconds: 3600 }, { providers: reg.providers });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hz?.stop();
  await d?.stop();
});

beforeEach(async () => {
  hz.setFaults({ capacity: [] });
  d.setFaults({ capacity: [] });
  await h.api('/v1/budget', { method: 'PUT', json: { monthly: null } });
});

type Json = Record<string, any>;

async function create(json: Json): Promise<Response> {
  return h.api('/v1/instances', { method: 'POST', json: { workload: 'process', ...json } });
}

async function created(json: Json): Promise<Json> {
  const res = await create(json);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Json;
}

async function events(id: string): Promise<Json[]> {
  return ((await (await h.api(`/v1/instances/${id}/events?limit=200`)).json()) as { items: Json[] }).items;
}

async function instanceCount(): Promise<number> {
  return ((await (await h.api('/v1/instances?limit=200')).json()) as { items: unknown[] }).items.length;
}

describe('prices and the real server record', () => {
  it('a Hetzner create with defaults records the type, location and price the cloud reports', async () => {
    const inst = await created({ provider: 'hetzner', name: 'defaults' });
    expect(inst).toMatchObject({ serverType: 'cpx22', location: 'nbg1', price: { currency: 'EUR' } });
    const row = await h.waitFor(inst.id as string, (r) => r.serverId !== null);
    const server = hz.state.servers.get(Number(row.serverId))!;
    expect({ type: row.serverType, location: row.location }).toEqual({ type: server.serverType, location: server.location });
    const types = ((await (await h.api('/v1/providers/hetzner/server-types')).json()) as { items: Json[] }).items;
    const listed = types.find((t) => t.name === 'cpx22')!.prices.find((p: Json) => p.location === 'nbg1');
    expect(row.priceMonthly).toBe(listed.monthly);
    expect(row.priceHourly).toBe(listed.hourly);
    expect(listed.monthlyNet).toBeLessThan(listed.monthly); // net and gross, as Hetzner lists them
  });

  it('DigitalOcean records its size price in USD; local costs 0', async () => {
    const inst = await created({ provider: 'digital-ocean', name: 'do-defaults' });
    expect(inst).toMatchObject({ serverType: 's-1vcpu-2gb', location: 'fra1', price: { monthly: 12, currency: 'USD' } });
    const local = await created({ provider: 'local', name: 'free' });
    expect(local.price).toMatchObject({ hourly: 0, monthly: 0 });
  });

  it('prices are cached in the database, so every replica prices the same', async () => {
    const rows = await h.engine.store.db.execute(`SELECT provider, fetched_at FROM price_cache ORDER BY provider` as never);
    expect((rows as unknown as { rows: Json[] }).rows.map((r) => r.provider)).toEqual(expect.arrayContaining(['hetzner', 'digital-ocean']));
  });
});

describe('choices are validated before any record', () => {
  it('refuses an unknown server type or location with a 400 naming the field and listing the valid ones', async () => {
    const before = await instanceCount();
    const badType = await create({ provider: 'hetzner', serverType: 'cx99' });
    expect(badType.status).toBe(400);
    const t = (await badType.json()) as Json;
    expect(t.errors[0]).toMatchObject({ field: 'serverType' });
    expect(t.errors[0].message).toContain('cpx22');
    const badLoc = await create({ provider: 'hetzner', location: 'mars1' });
    expect(badLoc.status).toBe(400);
    const l = (await badLoc.json()) as Json;
    expect(l.errors[0]).toMatchObject({ field: 'location' });
    expect(l.errors[0].message).toContain('fsn1');
    expect((await create({ provider: 'digital-ocean', location: ['fra1', 'mars1'] })).status).toBe(400);
    expect(await instanceCount()).toBe(before);
  });
});

describe('capacity fallback', () => {
  it('Hetzner: walks the ordered choices on resource_unavailable and placement_error, with an event naming each code', async () => {
    hz.setFaults({ capacity: [{ location: 'nbg1', code: 'resource_unavailable' }, { serverType: 'cpx22', location: 'fsn1', code: 'placement_error' }] });
    const before = hz.calls()['POST /v1/servers'] ?? 0;
    const inst = await created({ provider: 'hetzner', name: 'fallback', serverType: ['cpx22', 'cx33'], location: ['nbg1', 'fsn1'] });
    expect(inst).toMatchObject({ serverType: 'cpx22', location: 'nbg1' });
    const row = await h.waitFor(inst.id as string, (r) => r.serverId !== null || r.status === 'failed');
    expect(row).toMatchObject({ status: 'provisioning', serverType: 'cx33', location: 'fsn1' });
    const moves = (await events(inst.id as string)).filter((e) => e.kind === 'warning' && /trying/.test(e.reason));
    expect(moves.map((e) => e.data.code)).toEqual(['resource_unavailable', 'placement_error', 'resource_unavailable']);
    expect(moves[0].reason).toMatch(/cpx22 in nbg1: trying cpx22 in fsn1/);
    expect(hz.calls()['POST /v1/servers'] - before).toBe(4); // each choice once, no retry loop
  });

  it('Hetzner: resource_limit_exceeded (quota) fails at once with what to do, trying nothing else', async () => {
    hz.setFaults({ capacity: [{ code: 'resource_limit_exceeded' }] });
    const before = hz.calls()['POST /v1/servers'] ?? 0;
    const inst = await created({ provider: 'hetzner', name: 'quota', serverType: ['cpx22', 'cx33'], location: ['nbg1', 'fsn1'] });
    const row = await h.waitFor(inst.id as string, (r) => r.failureReason !== null, 20_000);
    expect(row.failureReason).toMatch(/quota is used up/);
    const evs = await events(inst.id as string);
    expect(evs.filter((e) => e.kind === 'warning' && /trying/.test(e.reason))).toHaveLength(0);
    expect(evs.filter((e) => e.kind === 'error' && /create_server failed/.test(e.reason ?? ''))).toHaveLength(1);
    expect(hz.calls()['POST /v1/servers'] - before).toBe(1);
  });

  it('Hetzner: no choice left fails once, not retried by the job', async () => {
    hz.setFaults({ capacity: [{ serverType: 'cpx22', code: 'resource_unavailable' }] });
    const before = hz.calls()['POST /v1/servers'] ?? 0;
    const inst = await created({ provider: 'hetzner', name: 'nocap', location: ['nbg1', 'hel1'] });
    const row = await h.waitFor(inst.id as string, (r) => r.failureReason !== null, 20_000);
    expect(row.failureReason).toMatch(/no capacity in any choice \(cpx22 in nbg1, cpx22 in hel1\)/);
    expect((await events(inst.id as string)).filter((e) => e.kind === 'error' && /create_server failed/.test(e.reason ?? ''))).toHaveLength(1);
    expect(hz.calls()['POST /v1/servers'] - before).toBe(2); // one call per choice, then it stops
  });

  it('DigitalOcean: a 422 "region not available" moves to the next region; the droplet limit fails at once', async () => {
    d.setFaults({ capacity: [{ location: 'fra1', code: 'region_unavailable' }] });
    const inst = await created({ provider: 'digital-ocean', name: 'do-fallback', location: ['fra1', 'ams3'] });
    const row = await h.waitFor(inst.id as string, (r) => r.serverId !== null || r.status === 'failed');
    expect(row).toMatchObject({ location: 'ams3', status: 'provisioning' });
    expect((await events(inst.id as string)).find((e) => /trying/.test(e.reason ?? ''))?.data.code).toBe('region_unavailable');
    d.setFaults({ capacity: [{ code: 'limit_exceeded' }] });
    const quota = await created({ provider: 'digital-ocean', name: 'do-quota', location: ['fra1', 'ams3'] });
    expect((await h.waitFor(quota.id as string, (r) => r.failureReason !== null, 20_000)).failureReason).toMatch(/quota/);
  });
});

describe('budgets', () => {
  it('refuses a create past the cap with 402 naming cap, running total and price; warns once at 80%', async () => {
    // Only what this test creates counts: a project of its own.
    const price = (await created({ provider: 'hetzner', name: 'probe', serverType: 'cx23' })).price as Json;
    const cost = newInstanceCost({ hourly: price.hourly, monthly: price.monthly, currency: 'EUR' }, new Date());
    const costs0 = (await (await h.api('/v1/costs')).json()) as Json;
    const eur0 = costs0.totals.find((t: Json) => t.currency === 'EUR').projected as number;
    const cap = Math.round((eur0 + 2.5 * cost) * 100) / 100;
    const put = await h.api('/v1/budget', { method: 'PUT', json: { monthly: cap, currency: 'EUR' } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as Json).installation).toMatchObject({ monthly: cap, currency: 'EUR' });
    const a = await created({ provider: 'hetzner', name: 'b1', serverType: 'cx23' });
    const b = await created({ provider: 'hetzner', name: 'b2', serverType: 'cx23' });
    const refused = await create({ provider: 'hetzner', name: 'b3', serverType: 'cx23' });
    expect(refused.status).toBe(402);
    const p = (await refused.json()) as Json;
    expect(p).toMatchObject({ status: 402, cap, currency: 'EUR', price: cost });
    expect(Math.abs(p.projected - (eur0 + 2 * cost))).toBeLessThan(0.02); // each figure rounded to the cent
    expect(p.detail).toMatch(/exceeds the monthly budget/);
    // A free provider is never refused; another currency is, naming it.
    expect((await create({ provider: 'local', name: 'free2' })).status).toBe(201);
    const usd = await create({ provider: 'digital-ocean', name: 'usd' });
    expect(usd.status).toBe(402);
    expect(((await usd.json()) as Json).detail).toMatch(/priced in USD/);
    const warned = [...(await events(a.id as string)), ...(await events(b.id as string))].filter((e) => e.kind === 'budget_warning');
    expect(warned.map((e) => e.data.threshold)).toEqual([80]);
    const costs = (await (await h.api('/v1/costs')).json()) as Json;
    expect(costs.budgets[0]).toMatchObject({ scope: 'installation', monthly: cap });
    expect(costs.instances.find((i: Json) => i.id === a.id)).toMatchObject({ serverType: 'cx23', currency: 'EUR', projected: cost });
    // Destroying frees the projection (its started hours stay spent).
    await h.api(`/v1/instances/${b.id}`, { method: 'DELETE' });
    await h.waitFor(b.id as string, (r) => r.status === 'stopped');
    expect((await create({ provider: 'hetzner', name: 'b4', serverType: 'cx23' })).status).toBe(201);
  });

  it('validates the budget body, naming the field', async () => {
    const res = await h.api('/v1/budget', { method: 'PUT', json: { monthly: -1, currency: 'eur' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).errors.map((e: Json) => e.field).sort()).toEqual(['currency', 'monthly']);
  });
});

// Several replica processes need the shared PostgreSQL: this part runs in the DATABASE_URL pass.
const pgOnly = process.env.DATABASE_URL ? describe : describe.skip;

pgOnly('budget race across replicas', () => {
  const procs: HangarProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-budget-race-'));
  let drop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGTERM').catch(() => {})));
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('30 concurrent creates at the edge on 2 replicas never exceed the cap', async () => {
    const db = await testDatabase('budget-race');
    drop = db.drop;
    const env = {
      HANGAR_DATA_DIR: dataDir,
      DATABASE_URL: db.url!,
      HANGAR_SECRET_KEY: randomBytes(32).toString('hex'),
      HANGAR_RECONCILE_SECONDS: '0',
      HANGAR_CONNECT_TIMEOUT_SECONDS: '3600',
      HETZNER_API_TOKEN: `hz-${randomUUID()}`,
      HCLOUD_ENDPOINT: hz.baseUrl,
    };
    const ports: number[] = [];
    let key: string | null = null;
    for (const name of ['r1', 'r2']) {
      const port = await freePort();
      const proc = spawnHangar({ ...env, HANGAR_REPLICA_ID: name }, port);
      procs.push(proc);
      key ??= await proc.ready;
      ports.push(port);
    }
    await Promise.all(procs.map((p) => p.ready));
    const call = (port: number, path: string, json: unknown, method = 'POST') =>
      fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
    const types = (await (await fetch(`http://127.0.0.1:${ports[0]}/v1/providers/hetzner/server-types`, { headers: { authorization: `Bearer ${key}` } })).json()) as { items: Json[] };
    const p = types.items.find((t) => t.name === 'cx23')!.prices.find((x: Json) => x.location === 'nbg1');
    const cost = newInstanceCost({ hourly: p.hourly, monthly: p.monthly, currency: 'EUR' }, new Date());
    const allowed = 7;
    const cap = Math.round((allowed + 0.5) * cost * 100) / 100;
    expect((await call(ports[0], '/v1/budget', { monthly: cap, currency: 'EUR' }, 'PUT')).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call(ports[i % ports.length], '/v1/instances', { provider: 'hetzner', name: `race-${i}`, serverType: 'cx23', workload: 'process' })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(allowed);
    expect(statuses.filter((s) => s === 402)).toHaveLength(30 - allowed);
    const costs = (await (await fetch(`http://127.0.0.1:${ports[1]}/v1/costs`, { headers: { authorization: `Bearer ${key}` } })).json()) as Json;
    expect(costs.budgets[0].projected).toBeLessThanOrEqual(cap);
  }, 120_000);
});
