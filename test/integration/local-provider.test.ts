/**
 * The `local` provider runs processes on the Hangar host: by default it is offered only while no
 * cloud is configured, and runs only the built-in demo service (HANGAR_LOCAL_PROVIDER,
 * HANGAR_LOCAL_COMMANDS). The test helper turns both on for the other tests; here they are the
 * defaults.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HetznerProvider } from '../../src/providers/hetzner.ts';
import { FakeApi } from '../../src/http/fake-api.testing.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

const DEFAULTS = { localProvider: 'auto', localCommands: false } as const;
const started: TestHangar[] = [];
afterAll(async () => {
  for (const h of started) await h.close();
});

/** A Hetzner provider that never reaches a network: only its presence matters here. */
const fakeHetzner = () => new HetznerProvider({ token: 'fake-token-0123456789', baseUrl: 'https://hetzner.invalid/v1', fetch: new FakeApi().fetch });
const providerNames = async (h: TestHangar) => ((await (await h.api('/v1/providers')).json()).items as { name: string }[]).map((p) => p.name);
const problem = async (res: Response) => ({ status: res.status, body: (await res.json()) as { detail: string; errors: { field: string; message: string }[] } });

describe('local provider defaults', () => {
  it('with no setting and no cloud: local is offered, runs the demo service, and refuses a command with 400 naming config.command', async () => {
    const h = await startTestHangar('local-default', { ...DEFAULTS, reconcileSeconds: 0 }, { noEnvProviders: true });
    started.push(h);
    expect(await providerNames(h)).toContain('local');

    // A command (or args) of its own: refused before anything is stored, naming the variable.
    for (const [config, fields] of [
      [{ command: '/bin/sh', args: ['-c', 'cat secret.key'] }, ['config.command', 'config.args']],
      [{ command: '/bin/sh' }, ['config.command']],
      [{ args: ['-e', 'require("fs").readFileSync("secret.key")'] }, ['config.args']],
    ] as const) {
      for (const path of ['/v1/instances', '/v1/instances?dryRun=true']) {
        const p = await problem(await h.api(path, { method: 'POST', json: { provider: 'local', workload: 'process', config } }));
        expect(p.status, `${path} ${JSON.stringify(config)}`).toBe(400);
        expect(p.body.errors.map((e) => e.field)).toEqual(fields);
        expect(p.body.detail).toContain('HANGAR_LOCAL_COMMANDS=1');
      }
    }
    expect((await (await h.api('/v1/instances')).json()).items).toEqual([]);

    // The built-in demo service runs.
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name: 'demo', workload: 'process' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    await h.waitFor(created.id, (r) => r.status === 'running' && r.connection === 'connected', 60_000);
    await h.api(`/v1/instances/${created.id}`, { method: 'DELETE' });
    await h.waitFor(created.id, (r) => r.status === 'stopped', 60_000);
  }, 120_000);

  it('with a cloud configured (injected or stored credentials): local is absent, and asking for it is a 400 naming provider that says how to enable it', async () => {
    const h = await startTestHangar('local-cloud', { ...DEFAULTS, reconcileSeconds: 0 }, { noEnvProviders: true, providers: [fakeHetzner()] });
    started.push(h);
    expect(await providerNames(h)).toEqual(expect.arrayContaining(['hetzner', 'ssh']));
    expect(await providerNames(h)).not.toContain('local');
    const p = await problem(await h.api('/v1/instances', { method: 'POST', json: { provider: 'local' } }));
    expect(p.status).toBe(400);
    expect(p.body.errors).toEqual([{ field: 'provider', message: expect.stringContaining('HANGAR_LOCAL_PROVIDER=1') }]);
    expect(p.body.detail).toContain('a cloud provider is configured (hetzner)');

    // HANGAR_LOCAL_PROVIDER=1 brings it back next to the cloud.
    const on = await startTestHangar('local-cloud-on', { ...DEFAULTS, localProvider: 'on', reconcileSeconds: 0 }, { noEnvProviders: true, providers: [fakeHetzner()] });
    started.push(on);
    expect(await providerNames(on)).toEqual(expect.arrayContaining(['local', 'hetzner']));
  }, 120_000);

  it('stored cloud credentials count at the next start; HANGAR_LOCAL_PROVIDER=0 turns local off with no cloud', async () => {
    const off = await startTestHangar('local-off', { ...DEFAULTS, localProvider: 'off', reconcileSeconds: 0 }, { noEnvProviders: true });
    started.push(off);
    expect(await providerNames(off)).not.toContain('local');
    const p = await problem(await off.api('/v1/instances', { method: 'POST', json: { provider: 'local' } }));
    expect(p.status).toBe(400);
    expect(p.body.errors[0]).toMatchObject({ field: 'provider', message: expect.stringContaining('HANGAR_LOCAL_PROVIDER=1') });

    // Credentials stored through the API (an https endpoint no request reaches) turn `auto` off at the next start.
    expect((await off.api('/v1/providers/hetzner/credentials', { method: 'PUT', json: { token: 'stored-token-0123456789', endpoint: 'https://hetzner.invalid/v1' } })).status).toBe(204);
    await off.stop();
    const again = await startTestHangar('local-off', { ...DEFAULTS, reconcileSeconds: 0 }, {}, { dataDir: off.dataDir, db: off.db, apiKey: off.apiKey });
    started.splice(started.indexOf(off), 1, again); // same data dir and database: close once
    expect(await providerNames(again)).toContain('hetzner');
    expect(await providerNames(again)).not.toContain('local');
  }, 120_000);
});
