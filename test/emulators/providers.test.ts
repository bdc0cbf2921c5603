/**
 * Hangar's cloud clients (src/providers, src/network) against the stateful emulators: the same
 * code paths the engine uses, over real HTTP, with the emulators' real rate-limit headers,
 * pagination, label selectors, actions and injected faults.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_INSTANCE } from '../../src/domain/names.ts';
import { TailscaleClient } from '../../src/network/tailscale.ts';
import { DigitalOceanProvider } from '../../src/providers/digitalocean.ts';
import { HetznerProvider } from '../../src/providers/hetzner.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from './digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from './hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from './tailscale.ts';
import { BUILDER_USER_DATA, bootstrapFor, cloudConfig } from './test-helpers.ts';

/** A fresh token per test: governors are shared per token, buckets are kept per token. */
const token = () => `tok-${randomUUID()}`;
const fastRest = { backoff: { baseMs: 20, maxMs: 200 } };
const labelsFor = (instance: string) => ({ [LABEL_INSTALLATION]: 'inst-test', [LABEL_INSTANCE]: instance });
const spec = (name: string, instance = name) => ({ name, labels: labelsFor(instance), userData: cloudConfig(bootstrapFor(name)) });

describe('HetznerProvider against the Hetzner emulator', () => {
  let hz: HetznerEmulator;
  beforeAll(async () => {
    hz = await startHetznerEmulator({ boot: false, tokens: '*', actionDelayMs: 30, bootDelayMs: 30 });
  });
  afterAll(() => hz.stop());
  beforeEach(() => hz.reset());
  const provider = (t = token(), extra: Partial<ConstructorParameters<typeof HetznerProvider>[0]> = {}) =>
    new HetznerProvider({ token: t, baseUrl: hz.baseUrl, actionPoll: { initialMs: 20, maxMs: 50 }, rest: fastRest, ...extra });

  it('creates, finds by label and name, gets and deletes a server (404 = done)', async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-a-1'), location: 'fsn1', serverType: 'cx23' });
    expect(s).toMatchObject({ name: 'hangar-a-1', status: 'creating', location: 'fsn1', serverType: 'cx23', image: 'ubuntu-24.04', labels: labelsFor('hangar-a-1') });
    expect(s.ipv4).toMatch(/^203\.0\.113\./);
    await p.createServer(spec('hangar-b-1'));
    expect((await p.findServers({ labels: labelsFor('hangar-a-1') })).map((x) => x.id)).toEqual([s.id]);
    expect(await p.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-test' } })).toHaveLength(2);
    expect((await p.findServers({ name: 'hangar-b-1' }))[0].name).toBe('hangar-b-1');
    await hz.waitForServer(Number(s.id), 'running');
    expect((await p.getServer(s.id))?.status).toBe('running');
    await p.deleteServer(s.id);
    await hz.waitForServer(Number(s.id), 'gone');
    expect(await p.getServer(s.id)).toBeNull();
    await expect(p.deleteServer(s.id)).resolves.toBeUndefined();
    expect(hz.calls()).toMatchObject({ 'POST /v1/servers': 2, 'DELETE /v1/servers/{id}': 2 });
  });

  it("surfaces a name clash as 'uniqueness_error' (409) without retrying the POST", async () => {
    const p = provider();
    await p.createServer(spec('hangar-dup-1', 'i1'));
    const err = await p.createServer(spec('hangar-dup-1', 'i2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: 'hetzner', code: 'uniqueness_error', httpStatus: 409 });
    expect(hz.calls()['POST /v1/servers']).toBe(2);
  });

  it('paginates label lookups past 50 servers', async () => {
    const p = provider();
    for (let i = 0; i < 55; i++) await p.createServer({ ...spec(`hangar-pg-${i}`), labels: { [LABEL_INSTALLATION]: 'inst-pg', [LABEL_INSTANCE]: `i${i}` } });
    expect(await p.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-pg' } })).toHaveLength(55);
    expect(hz.calls()['GET /v1/servers']).toBe(2);
  });

  it('lists server types with prices per location, locations, and system images', async () => {
    const p = provider();
    const types = await p.listServerTypes();
    const cpx22 = types.find((t) => t.name === 'cpx22')!;
    expect(cpx22).toMatchObject({ cores: 2, memoryGb: 4, diskGb: 80, architecture: 'x86' });
    expect(cpx22.prices.find((x) => x.location === 'nbg1')).toMatchObject({ currency: 'EUR', monthly: expect.closeTo(5.99 * 1.19, 4) });
    expect((await p.listLocations()).map((l) => l.name)).toEqual(expect.arrayContaining(['fsn1', 'nbg1', 'hel1', 'ash']));
    const images = await p.listImages({ kind: 'system' });
    expect(images.some((i) => i.name === 'ubuntu-24.04' && i.kind === 'system')).toBe(true);
  });

  it('powers off, snapshots with labels (waiting on actions), lists the snapshot by label and deletes it', async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-snap-1'), userData: BUILDER_USER_DATA });
    await hz.waitForServer(Number(s.id), 'running');
    await p.powerOff(s.id);
    expect(hz.state.servers.get(Number(s.id))?.status).toBe('off');
    const img = await p.createSnapshot(s.id, 'hangar base dev', { [LABEL_BOOTSTRAP_VERSION]: 'dev' });
    expect(img).toMatchObject({ kind: 'snapshot', description: 'hangar base dev', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    expect(hz.state.images.get(Number(img.id))?.status).toBe('available');
    const snaps = await p.listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    expect(snaps.map((i) => i.id)).toEqual([img.id]);
    expect(await p.listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: 'other' } })).toEqual([]);
    const both = await p.listImages({ labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    expect(both.filter((i) => i.kind === 'snapshot')).toHaveLength(1);
    expect(both.filter((i) => i.kind === 'system').length).toBeGreaterThan(0);
    await p.deleteSnapshot(img.id);
    await expect(p.deleteSnapshot(img.id)).resolves.toBeUndefined();
    expect(await p.getImage(img.id)).toBeNull();
  });

  it("reports a failed action with the action's error code", async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-afail-1'), userData: BUILDER_USER_DATA });
    await hz.waitForServer(Number(s.id), 'running');
    hz.setFaults({ actionErrorRate: 1, actionErrorCommands: ['create_image'], actionErrorCode: 'image_create_failed' });
    await expect(p.createSnapshot(s.id, 'x', {})).rejects.toMatchObject({ code: 'image_create_failed' });
  });

  it('retries reads through injected 5xx; a failed create is reported retryable and not repeated', async () => {
    const p = provider();
    hz.setFaults({ errorNext: 2, routes: ['GET /v1/servers'] });
    expect(await p.findServers({ labels: labelsFor('x') })).toEqual([]);
    expect(hz.calls()['GET /v1/servers']).toBe(3);
    hz.setFaults({ errorNext: 1, routes: ['POST /v1/servers'] });
    const err = await p.createServer(spec('hangar-5xx-1')).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, httpStatus: expect.any(Number) });
    expect((err as ProviderError).httpStatus).toBeGreaterThanOrEqual(500);
    expect(hz.calls()['POST /v1/servers']).toBe(1);
  });

  it('a 5xx after the create happened leaves a server that the label lookup finds (the engine adopts it)', async () => {
    const p = provider();
    hz.setFaults({ errorNext: 1, errorProcessedRate: 1, routes: ['POST /v1/servers'] });
    await expect(p.createServer(spec('hangar-ghost-1', 'ghost'))).rejects.toMatchObject({ retryable: true });
    const found = await p.findServers({ labels: labelsFor('ghost') });
    expect(found.map((s) => s.name)).toEqual(['hangar-ghost-1']);
    // Creating again would clash on the name: Hetzner's uniqueness is the second safety net.
    await expect(p.createServer(spec('hangar-ghost-1', 'ghost'))).rejects.toMatchObject({ code: 'uniqueness_error' });
  });

  it('waits out a 429 (rate_limit_exceeded) and succeeds, for a POST too', async () => {
    const p = provider();
    hz.setFaults({ rateLimitNext: 1, routes: ['POST /v1/servers'] });
    const t0 = Date.now();
    const s = await p.createServer(spec('hangar-429-1'));
    expect(s.name).toBe('hangar-429-1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(hz.stats().forced429).toBe(1);
    expect(hz.calls()['POST /v1/servers']).toBe(2);
    expect(hz.state.servers.size).toBe(1);
  });

  it('paces a burst to the bucket: 60 creates against (10, +10/s) get zero 429s, close to the bound', async () => {
    const small = await startHetznerEmulator({ boot: false, tokens: '*', rateLimit: { capacity: 10, refillPerSecond: 10 } });
    try {
      const p = new HetznerProvider({ token: token(), baseUrl: small.baseUrl });
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 60 }, (_, i) => p.createServer(spec(`hangar-burst-${i}`))));
      const secs = (Date.now() - t0) / 1000;
      expect(small.stats().rateLimited).toBe(0);
      expect(small.state.servers.size).toBe(60);
      const bound = (60 - 10) / 10;
      expect(secs).toBeGreaterThanOrEqual(bound * 0.9);
      expect(secs).toBeLessThan(bound * 3);
    } finally {
      await small.stop();
    }
  });

  it('the same burst without the governor trips the limit (the emulated limit is real)', async () => {
    const small = await startHetznerEmulator({ boot: false, tokens: '*', rateLimit: { capacity: 10, refillPerSecond: 10 } });
    try {
      const p = new HetznerProvider({ token: token(), baseUrl: small.baseUrl, rest: { rateLimit: null, backoff: { baseMs: 200, maxMs: 1000 }, maxRateLimitRetries: 20 } });
      await Promise.all(Array.from({ length: 30 }, (_, i) => p.createServer(spec(`hangar-ungoverned-${i}`))));
      expect(small.stats().rateLimited).toBeGreaterThan(0);
      expect(small.state.servers.size).toBe(30);
    } finally {
      await small.stop();
    }
  });
});

describe('DigitalOceanProvider against the DigitalOcean emulator', () => {
  let d: DigitalOceanEmulator;
  beforeAll(async () => {
    d = await startDigitalOceanEmulator({ boot: false, tokens: '*', actionDelayMs: 30, bootDelayMs: 30 });
  });
  afterAll(() => d.stop());
  beforeEach(() => d.reset());
  const provider = (t = token()) => new DigitalOceanProvider({ token: t, baseUrl: d.url, actionPoll: { initialMs: 20, maxMs: 50 }, rest: fastRest });

  it('creates with tags, finds by instance tag (twins by name are told apart), gets and deletes (404 = done)', async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-twin', 'i1'), location: 'ams3', serverType: 's-2vcpu-4gb' });
    expect(s).toMatchObject({ name: 'hangar-twin', status: 'creating', location: 'ams3', serverType: 's-2vcpu-4gb', image: 'ubuntu-24-04-x64', labels: labelsFor('i1') });
    await p.createServer(spec('hangar-twin', 'i2'));
    expect(d.state.droplets.get(Number(s.id))?.tags).toEqual(['hangar-installation-inst-test', 'hangar-instance-i1']);
    expect((await p.findServers({ labels: labelsFor('i1') })).map((x) => x.id)).toEqual([s.id]);
    expect(await p.findServers({ name: 'hangar-twin' })).toHaveLength(2);
    await d.waitForDroplet(Number(s.id), 'active');
    expect(await p.getServer(s.id)).toMatchObject({ status: 'running', ipv4: expect.stringMatching(/^203\.0\.113\./) });
    await p.deleteServer(s.id);
    expect(await p.getServer(s.id)).toBeNull();
    await expect(p.deleteServer(s.id)).resolves.toBeUndefined();
    expect(d.calls()).toMatchObject({ 'POST /v2/droplets': 2, 'DELETE /v2/droplets/{droplet_id}': 2 });
  });

  it('paginates past 200 droplets', async () => {
    d.setRateLimit(false);
    const p = provider();
    for (let i = 0; i < 205; i++) await p.createServer({ ...spec(`d${i}`), labels: { [LABEL_INSTALLATION]: 'inst-pg', [LABEL_INSTANCE]: `i${i}` } });
    expect(await p.findServers({ labels: { [LABEL_INSTALLATION]: 'inst-pg' } })).toHaveLength(205);
    expect(d.calls()['GET /v2/droplets']).toBe(2);
  });

  it('lists sizes with USD prices per region, regions and distribution images', async () => {
    const p = provider();
    const sizes = await p.listServerTypes();
    expect(sizes.find((s) => s.name === 's-1vcpu-2gb')).toMatchObject({ cores: 1, memoryGb: 2, diskGb: 50 });
    expect(sizes.find((s) => s.name === 's-1vcpu-2gb')!.prices.find((x) => x.location === 'fra1')).toMatchObject({ currency: 'USD', monthly: 12 });
    expect((await p.listLocations()).find((l) => l.name === 'fra1')).toMatchObject({ country: 'DE', city: 'Frankfurt' });
    expect((await p.listImages({ kind: 'system' })).map((i) => i.name)).toContain('ubuntu-24-04-x64');
  });

  it('powers off, snapshots, tags the snapshot with labels, finds it by label and deletes it', async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-dsnap'), userData: BUILDER_USER_DATA });
    await d.waitForDroplet(Number(s.id), 'active');
    await p.powerOff(s.id);
    expect(d.state.droplets.get(Number(s.id))?.status).toBe('off');
    const img = await p.createSnapshot(s.id, 'hangar-base-dev', { [LABEL_BOOTSTRAP_VERSION]: 'dev' });
    expect(img).toMatchObject({ kind: 'snapshot', name: 'hangar-base-dev', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    // A retried step adopts the snapshot it already took instead of taking another.
    const again = await p.createSnapshot(s.id, 'hangar-base-dev', { [LABEL_BOOTSTRAP_VERSION]: 'dev' });
    expect(again.id).toBe(img.id);
    expect(d.calls()['POST /v2/droplets/{droplet_id}/actions']).toBe(2);
    const found = await p.listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    expect(found.map((i) => i.id)).toEqual([img.id]);
    await p.deleteSnapshot(img.id);
    await expect(p.deleteSnapshot(img.id)).resolves.toBeUndefined();
    expect(await p.listImages({ kind: 'snapshot' })).toEqual([]);
  });

  it('an errored action throws action_errored', async () => {
    const p = provider();
    const s = await p.createServer({ ...spec('hangar-derr'), userData: BUILDER_USER_DATA });
    await d.waitForDroplet(Number(s.id), 'active');
    d.setFaults({ actionErrorRate: 1, actionErrorCommands: ['power_off'] });
    await expect(p.powerOff(s.id)).rejects.toMatchObject({ code: 'action_errored' });
  });

  it('honours retry-after on a 429 and then succeeds', async () => {
    const p = provider();
    d.setFaults({ rateLimitNext: 1, routes: ['POST /v2/droplets'] });
    const t0 = Date.now();
    await p.createServer(spec('hangar-d429'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(d.stats().forced429).toBe(1);
    expect(d.state.droplets.size).toBe(1);
  });

  it('paces a burst to the unadvertised per-minute bucket (scaled: 20 per 2 s): zero 429s', async () => {
    const small = await startDigitalOceanEmulator({ boot: false, tokens: '*', rateLimit: [{ capacity: 5000, refillPerSecond: 5000 / 3600 }, { capacity: 20, refillPerSecond: 10 }] });
    try {
      const p = new DigitalOceanProvider({ token: token(), baseUrl: small.url, rest: { rateLimit: { vendor: 'digital-ocean', reset: 'oldest', initial: { limit: 5000, windowMs: 3600_000 }, windows: [{ limit: 20, windowMs: 2000 }] } } });
      await Promise.all(Array.from({ length: 50 }, (_, i) => p.createServer(spec(`hangar-dburst-${i}`))));
      expect(small.stats().rateLimited).toBe(0);
      expect(small.state.droplets.size).toBe(50);
    } finally {
      await small.stop();
    }
  });
});

describe('TailscaleClient against the Tailscale emulator', () => {
  let ts: TailscaleEmulator;
  beforeAll(async () => {
    ts = await startTailscaleEmulator({ oauthClients: [{ id: 'cid', secret: 'tskey-client-secret', scopes: ['auth_keys', 'devices:core'] }], keyPolicy: { singleUse: true, ephemeral: true, preauthorized: true, tagged: true }, allowedTags: ['tag:hangar', 'tag:acme'] });
  });
  afterAll(() => ts.stop());
  beforeEach(() => ts.reset());

  for (const mode of ['API key', 'OAuth client'] as const) {
    it(`mints a policy-conforming key, finds the joined device by hostname and deletes it (${mode})`, async () => {
      const client =
        mode === 'API key'
          ? new TailscaleClient({ apiKey: ts.token, baseUrl: ts.baseUrl, tailnet: 'example.com' })
          : new TailscaleClient({ oauth: { clientId: 'cid', clientSecret: 'tskey-client-secret' }, baseUrl: ts.baseUrl });
      const key = await client.createAuthKey({ tags: ['tag:hangar', 'tag:acme'], expirySeconds: 600, description: 'hangar hangar-demo-1a2b3c4d' });
      expect(key.key).toMatch(/^tskey-auth-/);
      expect(Date.parse(key.expires!) - Date.now()).toBeLessThanOrEqual(600_000);
      const joined = ts.joinDevice({ hostname: 'hangar-demo-1a2b3c4d', authKey: key.key });
      ts.joinDevice({ hostname: 'someone-else', authKey: (await client.createAuthKey({ tags: ['tag:hangar'], expirySeconds: 600 })).key });
      const found = await client.findDeviceByHostname('hangar-demo-1a2b3c4d');
      expect(found).toMatchObject({ id: joined.id, hostname: 'hangar-demo-1a2b3c4d', tags: ['tag:hangar', 'tag:acme'], isEphemeral: true });
      expect(await client.findDeviceByHostname('hangar-nobody')).toBeNull();
      await client.deleteDevice(joined.id);
      await expect(client.deleteDevice(joined.id)).resolves.toBeUndefined();
      expect(await client.findDeviceByHostname('hangar-demo-1a2b3c4d')).toBeNull();
      await client.deleteAuthKey(key.id);
      await expect(client.deleteAuthKey(key.id)).resolves.toBeUndefined();
      if (mode === 'OAuth client') expect(ts.state.accessTokens.size).toBe(1);
    });
  }

  it('retries key creation through a 5xx (a spare single-use key is harmless)', async () => {
    const client = new TailscaleClient({ apiKey: ts.token, baseUrl: ts.baseUrl, rest: fastRest });
    ts.setFaults({ errorNext: 1 });
    const key = await client.createAuthKey({ tags: ['tag:hangar'], expirySeconds: 600 });
    expect(key.id).toBeTruthy();
    expect(ts.calls()['POST /api/v2/tailnet/{tailnet}/keys']).toBe(2);
  });

  it('providersFromEnv builds working clients from the vendors’ variables', async () => {
    const hz = await startHetznerEmulator({ boot: false, tokens: '*' });
    const d = await startDigitalOceanEmulator({ boot: false, tokens: '*' });
    try {
      const reg = providersFromEnv({
        HCLOUD_TOKEN: token(),
        HCLOUD_ENDPOINT: hz.baseUrl,
        DIGITALOCEAN_TOKEN: token(),
        DIGITALOCEAN_API_URL: d.url,
        TAILSCALE_OAUTH_CLIENT_ID: 'cid',
        TAILSCALE_OAUTH_CLIENT_SECRET: 'tskey-client-secret',
        TAILSCALE_BASE_URL: ts.baseUrl,
        HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*', // the emulators
      });
      expect(reg.providers.map((p) => p.name)).toEqual(['hetzner', 'digital-ocean']);
      expect(reg.warnings).toEqual([]);
      for (const p of reg.providers) expect((await p.listLocations()).length).toBeGreaterThan(3);
      const key = await reg.tailnet!.createAuthKey({ tags: ['tag:hangar'], expirySeconds: 60 });
      expect(ts.state.keys.has(key.id)).toBe(true);
    } finally {
      await hz.stop();
      await d.stop();
    }
  });
});
