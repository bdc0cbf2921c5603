/**
 * The full lifecycle through the `hetzner` and `digital-ocean` providers, on this machine: a test
 * Hangar talks to the Hetzner, DigitalOcean and Tailscale emulators over HTTP; each emulated
 * server "boots" by starting the real agent with the bootstrap config in its user-data, and joins
 * the emulated tailnet with the auth key its agent received at enrollment.
 *
 * The 200-instance burst runs at the provider level (200 concurrent `createServer` calls, no
 * agents): 200 agent processes are too heavy for the 2-core machine this runs on, and the
 * rate-limit behaviour under test lives in the provider's REST client.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../../src/domain/names.ts';
import type { InstanceRow } from '../../src/engine/store.ts';
import { HetznerProvider } from '../../src/providers/hetzner.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { duplicateOwners } from '../emulators/common.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from '../emulators/tailscale.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { processesMatching } from '../helpers/procs.ts';

let hz: HetznerEmulator;
let d: DigitalOceanEmulator;
let ts: TailscaleEmulator;
let h: TestHangar;
/** Boots each emulated server: the real agent, joining the emulated tailnet after enrollment. */
let agents: ReturnType<typeof createAgentBoot>;

beforeAll(async () => {
  ts = await startTailscaleEmulator({ keyPolicy: { singleUse: true, ephemeral: true, preauthorized: true, tagged: true }, allowedTags: ['tag:hangar', 'tag:acme'] });
  agents = createAgentBoot({ killAfterMs: 2000, tailnet: ts });
  hz = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
  d = await startDigitalOceanEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
  const reg = providersFromEnv(
    {
      HETZNER_API_TOKEN: `hz-${randomUUID()}`,
      HCLOUD_ENDPOINT: hz.baseUrl,
      DIGITALOCEAN_API_TOKEN: `do-${randomUUID()}`,
      DIGITALOCEAN_API_URL: d.url,
      TAILSCALE_API_KEY: ts.token,
      TAILSCALE_BASE_URL: ts.baseUrl,
      HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*', // the emulators
    },
    { hetzner: { rest: { backoff: { baseMs: 100, maxMs: 1000 } } }, digitalOcean: { rest: { backoff: { baseMs: 100, maxMs: 1000 } } } },
  );
  expect(reg.warnings).toEqual([]);
  // The reconciler is off: its periodic listing is not part of an instance's lifetime, and its
  // duplicate cleanup would hide a second server that the fault test must see.
  h = await startTestHangar('cloud', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: reg.tailnet });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hz?.stop();
  await d?.stop();
  await ts?.stop();
});

type Cloud = 'hetzner' | 'digital-ocean';

async function createInstance(provider: Cloud, name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; serverName: string }> {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider, name, workload: 'process', tailscale: true, tailscaleTags: ['tag:acme'], ...extra } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; serverName: string };
}

/** Live servers of one instance in an emulator. */
function liveServers(cloud: Cloud, instanceId: string): number[] {
  if (cloud === 'hetzner') return [...hz.state.servers.values()].filter((s) => s.labels[LABEL_INSTANCE] === instanceId).map((s) => s.id);
  return [...d.state.droplets.values()].filter((x) => x.tags.includes(`hangar-instance-${instanceId}`)).map((x) => x.id);
}

function callDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

const emulatorOf = (cloud: Cloud) => (cloud === 'hetzner' ? hz : d);
const PATHS = {
  hetzner: { create: 'POST /v1/servers', list: 'GET /v1/servers', del: 'DELETE /v1/servers/{id}' },
  'digital-ocean': { create: 'POST /v2/droplets', list: 'GET /v2/droplets', del: 'DELETE /v2/droplets/{droplet_id}' },
} as const;

describe('provision → running → destroy on emulated clouds, with Tailscale', () => {
  for (const cloud of ['hetzner', 'digital-ocean'] as const) {
    it(`${cloud}: one create and one delete per lifetime; server, agent and tailnet device gone at the end`, async () => {
      const emu = emulatorOf(cloud);
      // The catalogue (types, locations, prices) is read once and cached for every replica: not a per-lifetime cost.
      for (const what of ['server-types', 'locations']) expect((await h.api(`/v1/providers/${cloud}/${what}`)).status).toBe(200);
      const cloudBefore = emu.calls();
      const tsBefore = ts.calls();
      const inst = await createInstance(cloud, `Cloud ${cloud}`);

      const running = await h.waitFor(inst.id, (r) => r.status === 'running' || r.status === 'failed', 90_000);
      expect(running.status, running.failureReason ?? '').toBe('running');
      expect(running.connection).toBe('connected');
      const [serverId] = liveServers(cloud, inst.id);
      expect(running.serverId).toBe(String(serverId));
      // Hetzner answers the create with the server's addresses. DigitalOcean assigns them only once
      // the droplet is active: the engine looks once, at enrollment (no polling).
      expect(running.ipv4).toMatch(/^(203\.0\.113|198\.51\.100|192\.0\.2)\./);
      if (cloud === 'hetzner') expect(hz.state.servers.get(serverId)?.labels[LABEL_INSTALLATION]).toBe(h.installationId);
      else expect(d.state.droplets.get(serverId)?.tags).toContain(`hangar-installation-${h.installationId}`);

      // The agent joined the tailnet with a single-use, ephemeral, pre-authorized, tagged key.
      const agent = agents.processes.get(String(serverId))!;
      expect(await agent.tailnetJoin).toMatchObject({ ok: true, hostname: inst.serverName });
      const device = [...ts.state.devices.values()].find((x) => x.hostname === inst.serverName)!;
      expect(device.tags).toEqual(['tag:hangar', 'tag:acme']);
      expect(device.isEphemeral).toBe(true);
      expect(processesMatching('--run', '--state-dir', agent.dir)).toHaveLength(1);

      const del = await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      const stopped = await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000);
      expect(stopped.agentKeyHash).toBeNull();
      if (cloud === 'hetzner') await hz.waitForServer(serverId, 'gone');
      expect(liveServers(cloud, inst.id)).toEqual([]);
      expect(ts.state.devices.has(device.id)).toBe(false);
      await agent.exited;
      await expect.poll(() => processesMatching('--state-dir', agent.dir).length, { timeout: 10_000 }).toBe(0);

      const calls = callDelta(cloudBefore, emu.calls());
      const p = PATHS[cloud];
      // Readiness came from the agent: no polling of the server, one create, one delete, and one
      // label lookup each in provisioning and teardown.
      expect(calls).toEqual({ [p.create]: 1, [p.del]: 1, [p.list]: 2, ...(cloud === 'digital-ocean' ? { 'GET /v2/droplets/{droplet_id}': 1 } : {}) });
      expect(callDelta(tsBefore, ts.calls())).toEqual({
        'POST /api/v2/tailnet/{tailnet}/keys': 1,
        'GET /api/v2/tailnet/{tailnet}/devices': 1,
        'DELETE /api/v2/device/{deviceId}': 1,
      });

      const events = (await (await h.api(`/v1/instances/${inst.id}/events`)).json()).items as { reason: string }[];
      expect(events.some((e) => /tailscale auth key .* minted \(single-use, ephemeral, tag:hangar tag:acme\)/.test(e.reason))).toBe(true);
      expect(events.some((e) => /tailscale device .* deleted/.test(e.reason))).toBe(true);
      for (const e of events) expect(JSON.stringify(e)).not.toMatch(/tskey-auth-|hgb_|hga_[A-Za-z0-9]/);
    }, 150_000);
  }
});

describe('ownership', () => {
  it('a server that vanishes drops its agent; destroying the instance still completes (delete 404 = done)', async () => {
    const inst = await createInstance('hetzner', 'Vanishing');
    const running = await h.waitFor(inst.id, (r) => r.status === 'running' || r.status === 'failed', 90_000);
    expect(running.status).toBe('running');
    const before = hz.calls();
    expect(await hz.vanish(running.serverId!)).toBe(true);
    await h.waitFor(inst.id, (r) => r.connection === 'disconnected', 30_000);
    expect((await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' })).status).toBe(202);
    expect((await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000)).status).toBe('stopped');
    expect(callDelta(before, hz.calls())).toEqual({ 'GET /v1/servers': 1, 'DELETE /v1/servers/{id}': 1 });
    expect([...ts.state.devices.values()].some((x) => x.hostname === inst.serverName)).toBe(false);
  }, 150_000);

  it("a Hetzner name taken by a server Hangar does not own fails the instance with 'uniqueness_error' and leaves that server alone", async () => {
    // Hold the engine's create long enough to take its (deterministic) name first.
    hz.setFaults({ latencyMs: 1500, routes: ['POST /v1/servers'] });
    try {
      const inst = await createInstance('hetzner', 'Squatted', { tailscale: false });
      const squatter = hz.state.createServer({ name: inst.serverName, server_type: 'cpx22', image: 'ubuntu-24.04', labels: { owner: 'someone-else' } }).server;
      const row = await h.waitFor(inst.id, (r) => r.status === 'stopped' || r.status === 'running', 60_000);
      expect(row.status).toBe('stopped');
      expect(row.serverId).toBeNull();
      expect(row.failureReason).toMatch(/uniqueness_error: server name .* is taken by a server Hangar does not own/);
      const events = (await (await h.api(`/v1/instances/${inst.id}/events`)).json()).items as { kind: string; data: { code?: string } | null }[];
      expect(events.some((e) => e.kind === 'error' && e.data?.code === 'uniqueness_error')).toBe(true);
      expect(hz.state.servers.get(squatter.id)?.status).not.toBe('deleting');
      expect(hz.state.servers.has(squatter.id)).toBe(true);
      await hz.state.vanish(squatter.id);
    } finally {
      hz.clearFaults();
    }
  }, 120_000);
});

describe('faults', () => {
  it('with 20% injected 5xx (half of them after the request was carried out) every instance reaches running with exactly one server, and is torn down', async () => {
    // Fault fates are drawn per route, so with seed 64 (checked): Hetzner's 1st create is carried
    // out but answered 5xx and its 2nd fails outright; DigitalOcean's 2nd create fails and its 3rd
    // is carried out but answered 5xx; the 1st Hetzner and 3rd DigitalOcean deletes likewise.
    const faults = { seed: 64, errorRate: 0.2, errorProcessedRate: 0.5 };
    hz.setFaults(faults);
    d.setFaults(faults);
    const insts: { id: string; cloud: Cloud }[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        for (const cloud of ['hetzner', 'digital-ocean'] as const) insts.push({ ...(await createInstance(cloud, `Faulty ${cloud} ${i}`)), cloud });
      }
      const rows: InstanceRow[] = await Promise.all(insts.map((x) => h.waitFor(x.id, (r) => r.status === 'running' || r.status === 'failed', 150_000)));
      for (const r of rows) expect(r.status, `${r.id}: ${r.failureReason}`).toBe('running');
      for (const x of insts) expect(liveServers(x.cloud, x.id), x.id).toHaveLength(1);
      const ids = new Set(insts.map((x) => x.id));
      const dupes = Object.keys({ ...duplicateOwners(hz.state.history), ...duplicateOwners(d.state.history) }).filter((k) => ids.has(k));
      expect(dupes).toEqual([]);
      expect(hz.stats().injected5xx).toBeGreaterThan(0);
      expect(d.stats().injected5xx).toBeGreaterThan(0);
      expect(hz.stats().injected5xxProcessed).toBeGreaterThan(0);
      expect(d.stats().injected5xxProcessed).toBeGreaterThan(0);
      // Each instance still made its server once: retries found the ghosts by label.
      const created = insts.filter((x) => x.cloud === 'hetzner').length;
      expect(hz.state.history.filter((x) => ids.has(x.instance ?? ''))).toHaveLength(created);
      expect(d.state.history.filter((x) => ids.has(x.instance ?? ''))).toHaveLength(insts.length - created);

      for (const x of insts) expect((await h.api(`/v1/instances/${x.id}`, { method: 'DELETE' })).status).toBe(202);
      const stopped = await Promise.all(insts.map((x) => h.waitFor(x.id, (r) => r.status === 'stopped' || r.status === 'failed', 120_000)));
      for (const r of stopped) expect(r.status).toBe('stopped');
      await expect.poll(() => insts.flatMap((x) => liveServers(x.cloud, x.id)).length, { timeout: 10_000 }).toBe(0);
    } finally {
      hz.clearFaults();
      d.clearFaults();
    }
  }, 420_000);
});

describe('rate limit', () => {
  // Hetzner's bucket is 3600/h (1/s) with 3600 in it; the shape is scaled here to 5/s with 20 in
  // it so the test waits 12 s, not 100 (bench:cloud runs 200 creates against 100 refilled at 1/s).
  it('a burst of 80 creates against a bucket of 20 refilled at 5/s gets zero 429s, close to the bucket’s bound', async () => {
    const capacity = 20;
    const refillPerSecond = 5;
    const creates = 80;
    const burst = await startHetznerEmulator({ boot: false, tokens: '*', rateLimit: { capacity, refillPerSecond } });
    try {
      // All 200 calls queue in the governor at once, so the per-call deadline is off here. (The
      // engine runs four provision steps at a time per process: its calls never queue that long.)
      const p = new HetznerProvider({ token: `burst-${randomUUID()}`, baseUrl: burst.baseUrl, rest: { deadlineMs: 0 } });
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: creates }, (_, i) => p.createServer({ name: `hangar-burst-${i}`, labels: { [LABEL_INSTALLATION]: 'burst', [LABEL_INSTANCE]: `b${i}` }, userData: '#cloud-config\n' })),
      );
      const seconds = (Date.now() - t0) / 1000;
      const bound = (creates - capacity) / refillPerSecond;
      expect(burst.stats().rateLimited).toBe(0);
      expect(burst.stats().forced429).toBe(0);
      expect(burst.state.servers.size).toBe(creates);
      expect(seconds).toBeGreaterThanOrEqual(bound - 2);
      expect(seconds).toBeLessThan(bound * 1.5);
    } finally {
      await burst.stop();
    }
  }, 240_000);
});
