/**
 * Bring-your-own servers through the public API, on the provider Hangar registers itself
 * (hosts in the database, key sealed): register with a probe against a real sshd, refuse a
 * wrong key or a wrong pin with 422 naming the field, provision on the host, unregister.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { documented, documentedRaw } from '../helpers/contract.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { withPublicUrl } from '../helpers/hub-agent.ts';
import { freePort } from '../helpers/process.ts';
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
    const body = { name: 'byo-api', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, remoteRoot: sshd.root('hangar-api') };
    const res = await h.api('/v1/ssh-hosts?probe=true', { method: 'POST', json: body });
    expect(res.status, await res.clone().text()).toBe(201);
    const host = await documentedRaw('post', '/v1/ssh-hosts', res);
    expect(host.probe.fingerprint).toBe(sshd.hostFingerprint);
    expect(host.hostKey).toBe(sshd.hostFingerprint); // trust on first use recorded it
    documented('get', '/v1/ssh-hosts', await h.client.GET('/v1/ssh-hosts'));
    documented('get', '/v1/ssh-hosts/{ref}', await h.client.GET('/v1/ssh-hosts/{ref}', { params: { path: { ref: 'byo-api' } } }));
    documented('post', '/v1/ssh-hosts/{ref}/probe', await h.client.POST('/v1/ssh-hosts/{ref}/probe', { params: { path: { ref: 'byo-api' } } }));
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
    expect(processesMatching(sshd.root('hangar-api'), 'agent.mjs')).toEqual([]);
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

describe('/v1/ssh-hosts hardening', () => {
  it('refuses link-local, metadata and multicast addresses and a remote root outside /opt/hangar*, with 400 naming the field', async () => {
    for (const address of ['169.254.169.254', 'fe80::1', 'metadata.google.internal', '224.0.0.1', '2852039166']) {
      const res = await h.api('/v1/ssh-hosts', { method: 'POST', json: { name: 'meta', address, privateKey: sshd.clientKey } });
      expect(res.status, address).toBe(400);
      expect((await res.json()).errors).toEqual([{ field: 'address', message: expect.any(String) }]);
    }
    for (const remoteRoot of ['/usr/bin', '/root/.ssh', '/opt/hangar/../../etc', '/opt/hangarx']) {
      const res = await h.api('/v1/ssh-hosts', { method: 'POST', json: { name: 'root', address: '127.0.0.1', port: sshd.port, privateKey: sshd.clientKey, remoteRoot } });
      expect(res.status, remoteRoot).toBe(400);
      expect((await res.json()).errors).toEqual([{ field: 'remoteRoot', message: expect.stringContaining('/opt/hangar') }]);
    }
  });

  it('a probe does not tell a refused port from an unknown name, and registers neither', async () => {
    const port = await freePort();
    const details: string[] = [];
    for (const [name, address] of [['closed', '127.0.0.1'], ['nodns', 'no-such-host.invalid']]) {
      const res = await h.api('/v1/ssh-hosts?probe=true', { method: 'POST', json: { name, address, port, user: sshd.user, privateKey: sshd.clientKey } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const text = await res.text();
      expect(text).toContain('unreachable');
      expect(text).not.toMatch(/refused|ECONNREFUSED|ENOTFOUND|resolve|timed out/i);
      details.push(String(JSON.parse(text).detail).replace(`${sshd.user}@${address}:${port}`, '<target>'));
    }
    expect(details[0]).toBe(details[1]);
    const names = ((await (await h.api('/v1/ssh-hosts')).json()).items as { name: string }[]).map((x) => x.name);
    expect(names).not.toContain('closed');
    expect(names).not.toContain('nodns');
  });

  it('`hangar hosts add --key FILE` reads the key on the operator machine and uploads it (stored sealed, never shown)', async () => {
    const res = await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['hosts', 'add', 'by-cli', '127.0.0.1', '--port', String(sshd.port), '--user', sshd.user, '--key', sshd.clientKeyPath, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const host = JSON.parse(res.stdout);
    expect(host).toMatchObject({ name: 'by-cli', auth: 'key', keyPath: null, hostKey: sshd.hostFingerprint });
    expect(res.stdout).not.toContain('PRIVATE KEY');
    const missing = await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['hosts', 'add', 'nokey', '127.0.0.1', '--key', join(sshd.dir, 'no-such-key')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    expect((await h.api('/v1/ssh-hosts/by-cli', { method: 'DELETE' })).status).toBe(204);
  });

  it('pins the sha256 of the agent bundle it serves in user-data, and refuses a plain-http public URL', async () => {
    const served = Buffer.from(await (await fetch(`${h.url}/v1/agent/bundle`)).arrayBuffer());
    const sha = createHash('sha256').update(served).digest('hex');
    const plan = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'ssh' } });
    expect(plan.status, await plan.clone().text()).toBe(200);
    expect((await plan.json()).userData).toContain(`AGENT_SHA256=${sha}`);
    await withPublicUrl(h, 'http://hangar.example.com', async () => {
      const refused = await h.api('/v1/instances?dryRun=true', { method: 'POST', json: { provider: 'ssh' } });
      expect(refused.status).toBe(400);
      const body = await refused.json();
      expect(body.errors).toEqual([{ field: 'publicUrl', message: expect.stringMatching(/HANGAR_PUBLIC_URL must be https/) }]);
    });
  });
});
