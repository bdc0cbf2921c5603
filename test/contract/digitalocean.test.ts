/**
 * Contract: every request DigitalOceanProvider can send is accepted by DigitalOcean's own
 * OpenAPI description, served by Prism (`prism mock --errors`; paths keep their `/v2`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_INSTANCE } from '../../src/domain/names.ts';
import { DigitalOceanProvider, type DigitalOceanOptions } from '../../src/providers/digitalocean.ts';
import { contract, type Contract } from './harness.ts';
import { SPECS, startPrism, type PrismMock } from './prism.ts';

let prism: PrismMock;
let c: Contract;
beforeAll(async () => {
  prism = await startPrism(SPECS.digitalocean, { timeoutMs: 150_000 }); // the 3 MB YAML takes 5–20 s to load
  c = contract(prism, 'digitalocean');
}, 180_000);
afterAll(async () => {
  await prism?.stop();
});

const dop = (o: { prefer?: string } & Partial<DigitalOceanOptions> = {}) =>
  new DigitalOceanProvider({ token: 'contract-token', baseUrl: prism.baseUrl, fetch: prism.fetch(o.prefer), actionPoll: { initialMs: 20, maxMs: 40 }, ...o, rest: { rateLimit: null, maxRetries: 0, ...o.rest } });
const labels = { [LABEL_INSTALLATION]: '0b7c7c50-1111-4222-8333-444455556666', [LABEL_INSTANCE]: '9d1e2f30-aaaa-4bbb-8ccc-ddddeeeeffff' };
const userData = '#cloud-config\nwrite_files:\n  - path: /opt/hangar/config/bootstrap.json\n    content: "{}"\n';
/** The name of the droplet snapshot in the spec's example (what the mock answers). */
const EXAMPLE_SNAPSHOT = 'web-01-1595954862243';

describe('DigitalOcean client against the DigitalOcean OpenAPI spec (Prism)', () => {
  it('createServer: name, region, size, image (slug or snapshot id), tags, user_data, ssh_keys', async () => {
    const s = await c.accepted(() => dop().createServer({ name: 'hangar-acme-9d1e2f30', labels, userData, location: 'fra1', serverType: 's-1vcpu-2gb', image: 'ubuntu-24-04-x64', sshKeys: ['12345', 'aa:bb:cc'] }));
    expect(s).toMatchObject({ id: expect.any(String), status: expect.any(String) });
    await c.accepted(() => dop().createServer({ name: 'hangar-b-1', labels, userData, image: '6372321' }));
  });

  it('findServers: by tag_name, by name, everything; page and per_page', async () => {
    expect(Array.isArray(await c.accepted(() => dop().findServers({ labels })))).toBe(true);
    await c.accepted(() => dop().findServers({ name: 'hangar-acme-9d1e2f30' }));
    await c.accepted(() => dop().findServers({}));
  });

  it('getServer and deleteServer (and their 404 = absent/done)', async () => {
    expect((await c.accepted(() => dop().getServer('3164444')))?.id).toBe('3164444');
    await c.accepted(() => dop().deleteServer('3164444'));
    expect(await c.accepted(() => dop({ prefer: 'code=404' }).getServer('3164444'))).toBeNull();
    await c.accepted(() => dop({ prefer: 'code=404' }).deleteServer('3164444'));
  });

  it('catalogue: sizes, regions, distribution images and droplet snapshots', async () => {
    const sizes = await c.accepted(() => dop().listServerTypes());
    expect(sizes[0]?.prices[0]).toMatchObject({ currency: 'USD' });
    expect((await c.accepted(() => dop().listLocations())).length).toBeGreaterThan(0);
    await c.accepted(() => dop().listImages({ kind: 'system' }));
    await c.accepted(() => dop().listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } }));
  });

  it('snapshots: power off, adopt a snapshot by name and tag it, take a new one, delete', async () => {
    await c.accepted(() => dop({ waitForActions: false }).powerOff('3164444'));
    const adopted = await c.accepted(() => dop().createSnapshot('3164444', EXAMPLE_SNAPSHOT, { [LABEL_BOOTSTRAP_VERSION]: 'dev' }));
    expect(adopted).toMatchObject({ id: '6372321', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } });
    // A new snapshot: the action is accepted, but the mock never shows a snapshot of that name.
    const err = await c.acceptedFailure(() => dop({ waitForActions: false }).createSnapshot('3164444', 'hangar-base-dev', {}));
    expect(err).toMatchObject({ code: 'snapshot_not_found', retryable: true });
    await c.accepted(() => dop().deleteSnapshot('6372321'));
  });

  it('actions: GET /v2/actions/{id}, polled until it ends (the mock’s example never does: action_timeout)', async () => {
    await c.accepted(() => dop().getAction(36804636));
    const err = await c.acceptedFailure(() => dop({ actionTimeoutMs: 100 }).waitForAction(36804636));
    expect(err).toMatchObject({ code: 'action_timeout' });
  });

  it('a request the spec rejects is caught, and mapped to a ProviderError', async () => {
    const mark = prism.exchanges.length;
    const err = await dop().api.post('/v2/droplets', { name: 'x', region: 'fra1', size: 's-1vcpu-1gb' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ httpStatus: 422 });
    expect(prism.since(mark).filter((e) => prism.rejected().includes(e))).toHaveLength(1);
  });

  it('every operation the client can send was exercised', () => {
    expect(c.operations()).toEqual(
      [
        'DELETE /v2/droplets/{droplet_id}',
        'DELETE /v2/snapshots/{snapshot_id}',
        'GET /v2/actions/{action_id}',
        'GET /v2/droplets',
        'GET /v2/droplets/{droplet_id}',
        'GET /v2/droplets/{droplet_id}/snapshots',
        'GET /v2/images',
        'GET /v2/regions',
        'GET /v2/sizes',
        'GET /v2/snapshots',
        'POST /v2/droplets',
        'POST /v2/droplets/{droplet_id}/actions',
        'POST /v2/tags',
        'POST /v2/tags/{tag_id}/resources',
      ].sort(),
    );
  });
});
