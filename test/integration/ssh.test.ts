/**
 * The full lifecycle through the `ssh` provider against a real OpenSSH server on this machine:
 * a test Hangar provisions an instance on a registered host; the provider connects with ssh2,
 * uploads the agent bundle and the bootstrap config, and starts the real agent detached, which
 * enrolls and dials home → running. DELETE stops the agent and removes its files → stopped, and
 * the host stays registered and free.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentBundle } from '../../src/agent-bundle.ts';
import { InMemorySshHostStore, registerHost, SshProvider, type SshHost } from '../../src/providers/ssh.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { processesMatching } from '../helpers/procs.ts';
import { startSshd, type TestSshd } from '../helpers/sshd.ts';

let sshd: TestSshd;
let h: TestHangar;
let host: SshHost;
let ssh: SshProvider;
const hosts = new InMemorySshHostStore();
const secretKey = randomBytes(32);
const logs: { instance: string; line: string }[] = [];

beforeAll(async () => {
  const [s, bundle] = await Promise.all([startSshd(), ensureAgentBundle()]);
  sshd = s;
  host = await registerHost(hosts, { name: 'byo-1', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, remoteRoot: join(sshd.dir, 'hangar') }, secretKey);
  ssh = new SshProvider({ hosts, secretKey, agentBundle: async () => bundle, nodeBinary: process.execPath, start: 'nohup', stopTimeoutSeconds: 5, onLog: (instance, line) => logs.push({ instance, line }) });
  h = await startTestHangar('ssh', {}, { providers: [ssh] });
}, 120_000);

afterAll(async () => {
  for (const s of (await ssh?.findServers({})) ?? []) await ssh.deleteServer(s.id).catch(() => {});
  await h?.close();
  await sshd?.stop();
});

describe('ssh provider: bring your own server', () => {
  it('provisions an agent over SSH to running, then destroys it to stopped; the host stays registered', async () => {
    const root = join(sshd.dir, 'hangar');
    const agents = () => processesMatching(`${root}/agent/agent.mjs`, '--config');
    expect((await (await h.api('/v1/providers/ssh/locations')).json()).items).toEqual([expect.objectContaining({ name: 'byo-1' })]);

    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'byo-1', name: 'BYO Server' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    // Over SSH the agent can enroll and report before createServer returns: the server id lands just after.
    const running = await h.waitFor(created.id, (r) => r.status === 'running' && !!r.serverId);
    expect(running.connection).toBe('connected');
    expect(running.workloadHealthy).toBe(true);
    expect(running.serverId).toBe(host.id);
    expect(running.ipv4).toBe('127.0.0.1');

    // TOFU: the first connection recorded the server's fingerprint.
    expect((await hosts.get(host.id))!).toMatchObject({ hostKey: sshd.hostFingerprint, hostKeyTrust: 'tofu', state: 'ready', labels: created.labels });
    // The real agent runs on this machine, started through sshd, with its identity on disk.
    expect(agents()).toHaveLength(1);
    const env = () => readFileSync(join(root, 'config', 'agent.env'), 'utf8');
    expect(env()).toContain(`AGENT_ID=${running.agentId}`);
    // SERVER_ID comes with the hub's welcome; an agent that connected before the engine recorded the
    // server id (possible over SSH, where createServer returns after the agent started) has it empty
    // until it reconnects. (Engine follow-up: push the server id to a connected agent in recordServer.)
    expect(env()).toMatch(/^SERVER_ID=/m);
    expect(JSON.parse(readFileSync(join(root, 'config', 'bootstrap.json'), 'utf8')).token).toBe('');
    // Bootstrap output was streamed (tagged with the instance id) and forwarded by the agent as events.
    expect(logs.filter((l) => l.instance === created.id).map((l) => l.line)).toEqual(expect.arrayContaining([expect.stringMatching(/agent started \(pid \d+\)/)]));
    const events = (await (await h.api(`/v1/instances/${created.id}/events`)).json()).items;
    // (The agent forwards install.log once, after enrolling: the lines written before it started.)
    expect(events.some((e: { kind: string; reason: string }) => e.kind === 'log' && /hangar-ssh: wrote the bootstrap config/.test(e.reason))).toBe(true);
    for (const e of events) expect(JSON.stringify(e)).not.toMatch(/hgb_|hga_[A-Za-z0-9]/);

    const del = await h.api(`/v1/instances/${created.id}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    await h.waitFor(created.id, (r) => r.status === 'stopped');
    await expect.poll(() => agents().length, { timeout: 10_000 }).toBe(0);
    expect(existsSync(root)).toBe(false);
    expect(await hosts.get(host.id)).toMatchObject({ id: host.id, name: 'byo-1', state: 'free', labels: {}, hostKey: sshd.hostFingerprint });
    const transitions = (await (await h.api(`/v1/instances/${created.id}/events`)).json()).items.filter((e: { kind: string }) => e.kind === 'transition').map((e: { to: string; step: string | null }) => (e.step ? `${e.to}:${e.step}` : e.to));
    expect(transitions).toEqual(['pending', 'provisioning:create_server', 'provisioning:boot', 'provisioning:enroll', 'provisioning:network', 'provisioning:configure', 'provisioning:workload', 'running', 'stopping', 'stopped']);

    // The freed host takes the next instance.
    const again = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'byo-1', name: 'second' } })).json();
    await h.waitFor(again.id, (r) => r.status === 'running');
    expect(agents()).toHaveLength(1);
    await h.api(`/v1/instances/${again.id}`, { method: 'DELETE' });
    await h.waitFor(again.id, (r) => r.status === 'stopped');
    await expect.poll(() => agents().length, { timeout: 10_000 }).toBe(0);
  });

  it('fails an instance on an unknown host with the provider code in its events', async () => {
    const created = await (await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'nowhere', name: 'lost', onFailure: 'keep' } })).json();
    const failed = await h.waitFor(created.id, (r) => r.status === 'failed');
    expect(failed.failureReason).toMatch(/host_not_found: no SSH host named "nowhere"/);
  });
});
