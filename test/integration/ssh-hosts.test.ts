/**
 * Bring-your-own servers through the public API, on the provider Hangar registers itself
 * (hosts in the database, key sealed): register with a probe against a real sshd, refuse a
 * wrong key or a wrong pin with 422 naming the field, provision on the host, unregister.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { processesMatching } from '../helpers/procs.ts';
import { startSshd, type TestSshd } from '../helpers/sshd.ts';

let sshd: TestSshd;
let h: TestHangar;
beforeAll(async () => {
  sshd = await startSshd();
  h = await startTestHangar('ssh-hosts');
}, 120_000);
afterAll(async () => {
  await h?.close();
  await sshd?.stop();
});

describe('/v1/ssh-hosts', () => {
  it('registers a host with a probe, keeps its key out of every response, provisions on it and unregisters it', async () => {
    const body = { name: 'byo-api', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, remoteRoot: join(sshd.dir, 'hangar-api') };
    const res = await h.api('/v1/ssh-hosts?probe=true', { method: 'POST', json: body });
    expect(res.status, await res.clone().text()).toBe(201);
    const host = await res.json();
    expect(host.probe.fingerprint).toBe(sshd.hostFingerprint);
    expect(host.hostKey).toBe(sshd.hostFingerprint); // trust on first use recorded it
    const listed = await (await h.api('/v1/ssh-hosts')).text();
    expect(listed).not.toContain('PRIVATE KEY');
    expect(listed).not.toContain('privateKeySealed');

    const created = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'byo-api' } })).json();
    const running = await h.waitFor(created.id, (r) => r.status === 'running' && !!r.serverId, 60_000);
    expect(running.serverId).toMatch(new RegExp(`^${host.id}~[0-9a-f]{16}$`)); // per claim: a late teardown of a previous instance cannot touch this one
    // In use: unregistering is refused until the instance is gone.
    expect((await h.api('/v1/ssh-hosts/byo-api', { method: 'DELETE' })).status).toBe(409);
    await h.api(`/v1/instances/${created.id}`, { method: 'DELETE' });
    await h.waitFor(created.id, (r) => r.status === 'stopped', 60_000);
    expect(processesMatching(join(sshd.dir, 'hangar-api'), 'agent.mjs')).toEqual([]);
    expect((await h.api('/v1/ssh-hosts/byo-api', { method: 'DELETE' })).status).toBe(204);
    expect((await h.api('/v1/ssh-hosts/byo-api')).status).toBe(404);
  });

  it('refuses a wrong key or a wrong host-key pin with 422 naming the field, and registers nothing', async () => {
    const path = join(sshd.dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
    const other = readFileSync(path, 'utf8');
    const wrongKey = await h.api('/v1/ssh-hosts?probe=true', { method: 'POST', json: { name: 'bad-key', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: other } });
    expect(wrongKey.status).toBe(422);
    const p1 = await wrongKey.json();
    expect(p1.errors[0].field).toBe('privateKey');
    expect(p1.code).toBe('auth_failed');

    const pin = 'SHA256:' + 'A'.repeat(43);
    const wrongPin = await h.api('/v1/ssh-hosts?probe=true', { method: 'POST', json: { name: 'bad-pin', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, hostKey: pin } });
    expect(wrongPin.status).toBe(422);
    expect((await wrongPin.json()).errors[0].field).toBe('hostKey');

    const invalid = await h.api('/v1/ssh-hosts', { method: 'POST', json: { name: 'Not A Name', address: '', port: 0 } });
    expect(invalid.status).toBe(400);
    const fields = (await invalid.json()).errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'address']));
    const names = ((await (await h.api('/v1/ssh-hosts')).json()).items as { name: string }[]).map((x) => x.name);
    expect(names).not.toContain('bad-key');
    expect(names).not.toContain('bad-pin');
  });
});
