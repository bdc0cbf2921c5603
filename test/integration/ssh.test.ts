/**
 * The full lifecycle through the `ssh` provider against a real OpenSSH server on this machine:
 * a test Hangar provisions an instance on a registered host; the provider connects with ssh2,
 * uploads the agent bundle and the bootstrap config, and starts the real agent detached, which
 * enrolls and dials home → running. DELETE stops the agent and removes its files → stopped, and
 * the host stays registered and free. The operations commands (status, doctor, logs, smoke,
 * restart, exec) run against the agent started over SSH.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentBundle } from '../../src/build/agent-bundle.ts';
import { InMemorySshHostStore, registerHost, SshProvider, type SshHost } from '../../src/providers/ssh.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { agentsUnder, processesMatching } from '../helpers/procs.ts';
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
  host = await registerHost(hosts, { name: 'byo-1', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, remoteRoot: sshd.root('hangar') }, secretKey);
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
    const root = sshd.root('hangar');
    const agents = () => agentsUnder(root);
    expect((await (await h.api('/v1/providers/ssh/locations')).json()).items).toEqual([expect.objectContaining({ name: 'byo-1' })]);

    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'byo-1', name: 'BYO Server' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    // Over SSH the agent can enroll and report before createServer returns: the server id lands just after.
    const running = await h.waitFor(created.id, (r) => r.status === 'running' && !!r.serverId);
    expect(running.connection).toBe('connected');
    expect(running.workloadHealthy).toBe(true);
    // The server id names this claim of the host (`<host id>~<claim id>`).
    expect(running.serverId).toBe(`${host.id}~${(await hosts.get(host.id))!.claimId}`);
    expect(running.serverId).toMatch(new RegExp(`^${host.id}~[0-9a-f]{16}$`));
    expect(running.ipv4).toBe('127.0.0.1');

    // TOFU: the first connection recorded the server's fingerprint.
    expect((await hosts.get(host.id))!).toMatchObject({ hostKey: sshd.hostFingerprint, hostKeyTrust: 'tofu', state: 'ready', labels: { 'hangar.dev/installation': h.installationId, 'hangar.dev/instance': created.id } });
    // The real agent runs on this machine, started through sshd, with its identity on disk.
    expect(agents()).toHaveLength(1);
    const env = () => readFileSync(join(root, 'config', 'agent.env'), 'utf8');
    expect(env()).toContain(`AGENT_ID=${running.agentId}`);
    // SERVER_ID comes with the hub's welcome; an agent that connected before the engine recorded the
    // server id (over SSH, createServer returns after the agent started) is told on its next heartbeat.
    await expect.poll(env, { timeout: 10_000 }).toContain(`SERVER_ID=${running.serverId}\n`);
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

describe('operating an instance provisioned over SSH', () => {
  const root = () => sshd.root('hangar');
  const agents = () => agentsUnder(root());

  let current: string | null = null;
  afterEach(async () => {
    // A failed test leaves its instance holding the host: free it for the next test.
    if (current) await destroy(current).catch(() => {});
    current = null;
  });

  async function provision(name: string, extra: Record<string, unknown> = {}) {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'ssh', location: 'byo-1', name, ...extra } });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    current = id;
    return h.waitFor(id, (r) => r.status === 'running' && !!r.serverId && r.connection === 'connected' && r.workloadHealthy === true, 60_000);
  }

  async function destroy(id: string) {
    expect((await h.api(`/v1/instances/${id}`, { method: 'DELETE' })).status).toBe(202);
    await h.waitFor(id, (r) => r.status === 'stopped', 60_000);
    current = null;
    await expect.poll(() => agents().length, { timeout: 10_000 }).toBe(0);
    // The host stays registered, and free for the next instance.
    expect(await hosts.get(host.id)).toMatchObject({ id: host.id, name: 'byo-1', state: 'free', labels: {}, serverName: null });
    expect((await (await h.api('/v1/providers/ssh/locations')).json()).items).toEqual([expect.objectContaining({ name: 'byo-1', description: expect.stringMatching(/free$/) })]);
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async function audit(id: string, command: string) {
    const items = (await (await h.api(`/v1/instances/${id}/events?limit=1000`)).json()).items as { actor: string; kind: string; reason: string; data: Record<string, unknown> | null }[];
    return items.filter((e) => e.reason?.startsWith(`command ${command}`));
  }

  it('status, doctor, logs, smoke and restart work on the agent started over SSH; exec is refused when disabled', async () => {
    const row = await provision('ssh-ops');
    const id = row.id;

    const s = await (await h.api(`/v1/instances/${id}/status`)).json();
    expect(s).toMatchObject({ id, status: 'running', connection: 'connected', workloadHealthy: true, execEnabled: false });
    // The agent's own report comes from the process sshd started.
    expect(processesMatching(`${root()}/agent/agent.mjs`).map((p) => p.pid)).toContain(s.agent.pid);
    expect(s.agent).toMatchObject({ workload: { kind: 'process', healthy: true, pid: expect.any(Number) }, connection: { connected: true }, execEnabled: false });

    const envPath = join(root(), 'config', 'agent.env');
    const d = await (await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' })).json();
    for (const c of d.checks) expect(['pass', 'warn', 'fail']).toContain(c.status);
    const check = (doc: { checks: { name: string; status: string; hint?: string; detail: string }[] }, name: string) => doc.checks.find((c) => c.name === name)!;
    for (const name of ['clock', 'workload', 'permissions agent.env', 'permissions state.json', 'permissions bootstrap.json']) expect(check(d, name).status, name).toBe('pass');
    expect(check(d, 'permissions bootstrap.json').detail).toBe(`${join(root(), 'config', 'bootstrap.json')} is 0600`);
    // Whatever is not fine on this host (no docker, tailscale or ufw here) comes with a hint.
    for (const c of d.checks) if (c.status !== 'pass') expect(c.hint, c.name).toEqual(expect.any(String));
    // The agent rewrites agent.env (0600) once the hub tells it the server id recorded after it
    // connected: wait for that before loosening the file, or the rewrite undoes the test's chmod.
    const serverId = (await (await h.api(`/v1/instances/${id}`)).json()).serverId as string;
    await expect.poll(() => readFileSync(envPath, 'utf8'), { timeout: 15_000 }).toContain(`SERVER_ID=${serverId}\n`);
    chmodSync(envPath, 0o644);
    try {
      const d2 = await (await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' })).json();
      expect(d2.status).toBe('fail');
      expect(check(d2, 'permissions agent.env')).toMatchObject({ status: 'fail', hint: `chmod 600 ${envPath}` });
    } finally {
      chmodSync(envPath, 0o600);
    }
    // Doctor is a read: its outcome is in the audit log, not the instance's events (#17).
    expect(await audit(id, 'doctor')).toEqual([]);
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const rows = (await (await h.api(`/v1/audit?object=instance:${id}&action=${encodeURIComponent('POST /v1/instances/:id/doctor')}`)).json()).items as { reason: string }[];
      if (rows.length >= 2) {
        expect(rows.map((e) => e.reason).reverse()).toEqual([expect.stringMatching(/^command doctor: /), expect.stringMatching(/^command doctor: fail.*permissions agent.env fail/)]);
        break;
      }
      if (Date.now() > deadline) throw new Error(`waited 10 s for 2 doctor audit rows, have ${rows.length}`);
    }

    // The bootstrap unit carries the lines the SSH bootstrap streamed (its install.log on the host).
    const boot = await (await h.api(`/v1/instances/${id}/logs?unit=bootstrap&lines=200`)).json();
    expect(boot.unit).toBe('bootstrap');
    expect(boot.lines).toEqual(expect.arrayContaining([expect.stringMatching(/hangar-ssh: bootstrap over SSH for hangar-ssh-ops-/), expect.stringMatching(/hangar-ssh: wrote the bootstrap config \(0600\)/), expect.stringMatching(/hangar-ssh: agent started \(pid \d+\)/)]));
    const streamed = logs.filter((l) => l.instance === id).map((l) => l.line);
    expect(streamed).toEqual(expect.arrayContaining([expect.stringMatching(/hangar-ssh: agent started \(pid \d+\)/)]));
    expect(boot.lines.join('\n')).not.toMatch(/hgb_/);
    // …followed by the agent's own bootstrap lines.
    expect(boot.lines.some((l: string) => /enrolled as agent/.test(l))).toBe(true);
    const wl = await (await h.api(`/v1/instances/${id}/logs?unit=workload&lines=5`)).json();
    expect(wl.lines.length).toBeGreaterThan(0);
    expect(wl.lines.length).toBeLessThanOrEqual(5);

    expect(await (await h.api(`/v1/instances/${id}/smoke`, { method: 'POST' })).json()).toMatchObject({ result: 'pass', kind: 'health' });
    expect((await audit(id, 'smoke'))[0].reason).toMatch(/^command smoke: pass/);

    const before = s.agent.workload.pid;
    const r = await (await h.api(`/v1/instances/${id}/restart`, { method: 'POST', json: { target: 'workload' } })).json();
    expect(r).toMatchObject({ restarted: 'workload', healthy: true, pidBefore: before, pidAfter: expect.any(Number) });
    expect(r.pidAfter).not.toBe(before);
    // The new workload process really runs on the host; the old one is gone.
    expect(alive(r.pidAfter)).toBe(true);
    await expect.poll(() => alive(before), { timeout: 5000 }).toBe(false);
    const after = (await (await h.api(`/v1/instances/${id}/status`)).json()).agent;
    expect(after).toMatchObject({ pid: s.agent.pid, workload: { pid: r.pidAfter, healthy: true } });
    await h.waitFor(id, (x) => x.status === 'running' && x.workloadHealthy === true, 10_000);
    expect((await (await h.api(`/v1/instances/${id}/logs?unit=agent&lines=100`)).json()).lines).toEqual(expect.arrayContaining([expect.stringMatching(/restarting the workload/)]));
    // The agent's supervisor restarts the agent itself: a new process dials home and reports healthy.
    const ra = await (await h.api(`/v1/instances/${id}/restart`, { method: 'POST', json: { target: 'agent' } })).json();
    expect(ra).toMatchObject({ target: 'agent', restarted: 'agent' });
    const agentPid = async () => (await (await h.api(`/v1/instances/${id}/status`)).json()).agent?.pid ?? after.pid;
    await expect.poll(agentPid, { timeout: 30_000 }).not.toBe(after.pid);
    await h.waitFor(id, (x) => x.status === 'running' && x.connection === 'connected' && x.workloadHealthy === true, 30_000);
    expect(agents()).toHaveLength(1);
    expect((await audit(id, 'restart')).length).toBe(2);

    const ex = await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['echo', 'hi'] } });
    expect(ex.status).toBe(403);
    expect((await ex.json()).detail).toMatch(/exec is disabled for this instance/);
    expect((await audit(id, 'exec'))[0].reason).toMatch(/refused/);
    expect(await h.hub.command(id, 'exec', { argv: ['echo', 'hi'] }, 5000)).toMatchObject({ ok: false, error: expect.stringMatching(/exec is disabled on this agent/) });

    const workload = (await (await h.api(`/v1/instances/${id}/status`)).json()).agent.workload.pid;
    await destroy(id);
    expect(alive(workload)).toBe(false); // teardown stopped the workload with its agent
  });

  it('exec runs on the SSH host when the instance has config {exec: true}, audited as an event', async () => {
    const row = await provision('ssh-exec', { config: { exec: true } });
    const id = row.id;
    expect((await (await h.api(`/v1/instances/${id}/status`)).json()).execEnabled).toBe(true);
    // The command runs as the agent, in its state directory under the host's remote root.
    const ok = await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['sh', '-c', 'echo "hi from $(pwd)"'] } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ exitCode: 0, stdout: `hi from ${join(root(), 'config')}\n`, timedOut: false });
    expect(await (await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['sh', '-c', 'echo oops >&2; exit 3'] } })).json()).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
    const ev = await audit(id, 'exec');
    expect(ev.map((e) => e.reason)).toEqual([expect.stringMatching(/sh -c echo "hi from \$\(pwd\)" → exit 0$/), expect.stringMatching(/→ exit 3$/)]);
    expect(ev[0]).toMatchObject({ kind: 'info', data: { command: 'exec', ok: true, argv: ['sh', '-c', 'echo "hi from $(pwd)"'] } });
    expect(ev[0].actor).not.toBe('agent');
    await destroy(id);
  });
});
