/**
 * Contract: every request HetznerProvider can send is accepted by Hetzner's own OpenAPI
 * description, served by Prism (`prism mock --errors`, no `/v1` base path).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_INSTANCE } from '../../src/domain/names.ts';
import { HetznerProvider, type HetznerOptions } from '../../src/providers/hetzner.ts';
import { contract, type Contract } from './harness.ts';
import { SPECS, startPrism, type PrismMock } from './prism.ts';

let prism: PrismMock;
let c: Contract;
beforeAll(async () => {
  prism = await startPrism(SPECS.hetzner);
  c = contract(prism, 'hetzner');
}, 120_000);
afterAll(async () => {
  await prism?.stop();
});

const hz = (o: { prefer?: string } & Partial<HetznerOptions> = {}) =>
  new HetznerProvider({ token: 'contract-token', baseUrl: prism.baseUrl, fetch: prism.fetch(o.prefer), actionPoll: { initialMs: 20, maxMs: 40 }, ...o, rest: { rateLimit: null, maxRetries: 0, ...o.rest } });
const labels = { [LABEL_INSTALLATION]: '0b7c7c50-1111-4222-8333-444455556666', [LABEL_INSTANCE]: '9d1e2f30-aaaa-4bbb-8ccc-ddddeeeeffff' };
const userData = '#cloud-config\nwrite_files:\n  - path: /opt/hangar/config/bootstrap.json\n    content: "{}"\n';

describe('Hetzner client against the Hetzner OpenAPI spec (Prism)', () => {
  it('createServer: name, server_type, image, location, labels, user_data, ssh_keys, start_after_create', async () => {
    const s = await c.accepted(() => hz().createServer({ name: 'hangar-acme-9d1e2f30', labels, userData, location: 'fsn1', serverType: 'cpx22', image: 'ubuntu-24.04', sshKeys: ['hangar-admin'] }));
    expect(s).toMatchObject({ id: expect.any(String), name: expect.any(String), status: expect.any(String) });
    await c.accepted(() => hz({ defaults: { serverType: 'cx23', location: 'nbg1', image: '12345' } }).createServer({ name: 'hangar-b-1', labels, userData }));
  });

  it('findServers: label_selector, name, page, per_page', async () => {
    const byLabel = await c.accepted(() => hz().findServers({ labels }));
    expect(Array.isArray(byLabel)).toBe(true);
    await c.accepted(() => hz().findServers({ name: 'hangar-acme-9d1e2f30' }));
    await c.accepted(() => hz().findServers({ labels, name: 'hangar-acme-9d1e2f30' }));
  });

  it('getServer and deleteServer (and their 404 = absent/done)', async () => {
    const s = await c.accepted(() => hz().getServer('42'));
    expect(s?.id).toBe('42');
    await c.accepted(() => hz().deleteServer('42'));
    expect(await c.accepted(() => hz({ prefer: 'code=404' }).getServer('42'))).toBeNull();
    await c.accepted(() => hz({ prefer: 'code=404' }).deleteServer('42'));
  });

  it('catalogue: server types, locations, images (system, snapshot by label, both)', async () => {
    // The mock's only example type is deprecated since 2023, so the client rightly drops it.
    expect(await c.accepted(() => hz().listServerTypes())).toEqual([]);
    expect((await c.accepted(() => hz().listLocations()))[0]).toMatchObject({ name: expect.any(String) });
    await c.accepted(() => hz().listImages({ kind: 'system' }));
    await c.accepted(() => hz().listImages({ kind: 'snapshot', labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } }));
    await c.accepted(() => hz().listImages({ labels: { [LABEL_BOOTSTRAP_VERSION]: 'dev' } }));
    await c.accepted(() => hz().listImages());
  });

  it('snapshots: power off, create_image with labels (waiting on the action), get and delete the image', async () => {
    await c.accepted(() => hz({ waitForActions: false }).powerOff('42'));
    const img = await c.accepted(() => hz().createSnapshot('42', 'hangar base dev', { [LABEL_BOOTSTRAP_VERSION]: 'dev' }));
    expect(img.id).toEqual(expect.any(String));
    await c.accepted(() => hz().getImage('4711'));
    await c.accepted(() => hz().deleteSnapshot('4711'));
  });

  it('actions: GET /actions/{id}, polled until it ends (the mock’s example never does: action_timeout)', async () => {
    await c.accepted(() => hz().getAction(42));
    const err = await c.acceptedFailure(() => hz({ actionTimeoutMs: 100 }).waitForAction(42));
    expect(err).toMatchObject({ code: 'action_timeout', retryable: true });
  });

  it('a request the spec rejects is caught, and mapped to a ProviderError with Prism’s code', async () => {
    const p = hz();
    const mark = prism.exchanges.length;
    const err = await p.api.post('/servers', { name: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unprocessable_entity', httpStatus: 422 });
    expect((err as Error).message).toMatch(/server_type/);
    expect(prism.since(mark).filter((e) => prism.rejected().includes(e))).toHaveLength(1);
  });

  it('every operation the client can send was exercised', () => {
    expect(c.operations()).toEqual(
      [
        'DELETE /images/{id}',
        'DELETE /servers/{id}',
        'GET /actions/{id}',
        'GET /images',
        'GET /images/{id}',
        'GET /locations',
        'GET /server_types',
        'GET /servers',
        'GET /servers/{id}',
        'POST /servers',
        'POST /servers/{id}/actions/create_image',
        'POST /servers/{id}/actions/poweroff',
      ].sort(),
    );
  });
});
