import { ProviderError } from '../../domain/errors.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tailnet } from '../ports.ts';
import { engineFixture, type EngineFixture } from '../engine.testing.ts';
import { engineResources, type EngineResources } from '../resources.ts';
import { advance, tailnetKeyFor, workloadHealthy } from './progress.ts';

let f: EngineFixture;
let r: EngineResources;
beforeAll(async () => {
  f = await engineFixture('progress-system');
  r = engineResources(f.deps);
});
afterAll(async () => {
  await f?.close();
});

const transitions = async (id: string) => (await f.store.events(id)).filter((e) => e.kind === 'transition').map((e) => `${e.toStatus}${e.step ? `(${e.step})` : ''}`);

describe('advance', () => {
  it('records every step on the way, and never moves back', async () => {
    const { row } = await f.instance({ steps: ['boot'] });
    await advance(r, row.id, 'network', 'network: joined');
    await advance(r, row.id, 'enroll', 'late enroll report');
    expect(await transitions(row.id)).toEqual(['pending', 'provisioning(create_server)', 'provisioning(boot)', 'provisioning(enroll)', 'provisioning(network)']);
    expect((await f.store.get(row.id)).step).toBe('network');
  });
});

describe('workloadHealthy', () => {
  it('the first healthy report makes a provisioning instance running, through the workload step', async () => {
    const { row } = await f.instance({ steps: ['boot', 'enroll', 'network', 'configure'] });
    await workloadHealthy(r, row.id, true, 'http 200');
    const after = await f.store.get(row.id);
    expect(after).toMatchObject({ status: 'running', workloadHealthy: true });
    expect(after.runningAt).not.toBeNull();
    expect((await transitions(row.id)).slice(-2)).toEqual(['provisioning(workload)', 'running']);
    expect((await f.store.events(row.id)).some((e) => e.kind === 'info' && e.reason === 'workload healthy: http 200')).toBe(true);
  });

  it('records a change of health once, and an unhealthy report never fails the instance', async () => {
    const { row } = await f.instance({ steps: ['boot', 'enroll', 'network', 'configure', 'workload'] });
    await workloadHealthy(r, row.id, true);
    await workloadHealthy(r, row.id, true);
    await workloadHealthy(r, row.id, false, 'exit 1');
    const facts = (await f.store.events(row.id)).filter((e) => e.kind === 'info' || e.kind === 'warning').map((e) => e.reason);
    expect(facts).toEqual(['workload healthy', 'workload unhealthy: exit 1']);
    expect(await f.store.get(row.id)).toMatchObject({ status: 'running', workloadHealthy: false });
  });
});

describe('tailnetKeyFor (the network step)', () => {
  it('no key when tailscale is off for the instance, or when no tailnet is configured, with an event saying which', async () => {
    const off = (await f.instance()).row;
    expect(await tailnetKeyFor(r, off)).toBeNull();
    const on = (await f.instance({ tailscale: true })).row;
    expect(await tailnetKeyFor(r, on)).toBeNull();
    expect((await f.store.events(off.id)).at(-1)).toMatchObject({ kind: 'info', reason: 'network step skipped: tailscale not requested for this instance' });
    expect((await f.store.events(on.id)).at(-1)).toMatchObject({ kind: 'warning', reason: expect.stringMatching(/^network step skipped: no tailnet configured/) });
  });

  it('mints a single-use key tagged tag:hangar plus the instance tags, from the tailnet set at run time', async () => {
    const asked: Parameters<Tailnet['createAuthKey']>[0][] = [];
    r.settings.setTailnet({ createAuthKey: async (o) => (asked.push(o), { id: 'k1', key: 'tskey-auth-1' }), findDeviceByHostname: async () => null, deleteDevice: async () => {} });
    try {
      const { row } = await f.instance({ tailscale: true, set: { tailscaleTags: ['tag:web', 'tag:hangar'] } });
      expect(await tailnetKeyFor(r, row)).toEqual({ authKey: 'tskey-auth-1', hostname: row.serverName, tags: ['tag:hangar', 'tag:web'], ssh: true });
      expect(asked).toEqual([{ tags: ['tag:hangar', 'tag:web'], expirySeconds: 600, description: `hangar ${row.serverName}` }]);
      expect(JSON.stringify(await f.store.events(row.id))).not.toContain('tskey-auth-1');
    } finally {
      r.settings.setTailnet(null);
    }
  });
  it('fails the instance at once, with the vendor code, when the tailnet refuses the key for good', async () => {
    r.settings.setTailnet({ createAuthKey: async () => { throw new ProviderError('tailscale', 'invalid_request', 'requested tags [tag:web] are invalid or not permitted', 400); }, findDeviceByHostname: async () => null, deleteDevice: async () => {} });
    try {
      const { row } = await f.instance({ tailscale: true, set: { tailscaleTags: ['tag:web'] } });
      await expect(tailnetKeyFor(r, row)).rejects.toThrow(/not permitted/);
      const events = await f.store.events(row.id);
      // failed at once (then torn down, as onFailure says), not left booting until the connect timeout
      expect(events.some((e) => e.kind === 'transition' && e.toStatus === 'failed' && /network failed: tailscale refused/.test(e.reason ?? ''))).toBe(true);
      expect(events.find((e) => e.kind === 'error')).toMatchObject({ reason: expect.stringContaining('tailscale auth key not minted: tailscale: invalid_request'), data: { vendorCode: 'invalid_request', httpStatus: 400 } });
    } finally {
      r.settings.setTailnet(null);
    }
  });

  it('leaves the agent to retry when the tailnet fails for now (5xx), with an event saying so', async () => {
    r.settings.setTailnet({ createAuthKey: async () => { throw new ProviderError('tailscale', 'server_error', 'upstream unavailable', 503, true); }, findDeviceByHostname: async () => null, deleteDevice: async () => {} });
    try {
      const { row } = await f.instance({ tailscale: true });
      await expect(tailnetKeyFor(r, row)).rejects.toThrow(/upstream unavailable/);
      expect((await f.store.get(row.id)).status).not.toBe('failed');
      expect((await f.store.events(row.id)).at(-1)).toMatchObject({ kind: 'warning', reason: expect.stringContaining('the agent will retry') });
    } finally {
      r.settings.setTailnet(null);
    }
  });
});
