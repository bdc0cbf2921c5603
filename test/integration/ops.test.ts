import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, type CreateInstanceBody, type Instance } from '../../src/api/contract/index.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('ops');
});
afterAll(async () => {
  await h?.close();
});

async function create(name: string, extra: Omit<CreateInstanceBody, 'provider' | 'name'> = {}) {
  const { data, response } = await h.client.POST('/v1/instances', { body: { provider: 'local', name, ...extra } });
  expect(response.status).toBe(201);
  const { id } = data as Instance;
  return h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true, 45_000);
}

async function auditEvents(id: string, command: string) {
  const { items } = await body(h.client.GET('/v1/instances/{id}/events', { params: { path: { id }, query: { limit: 1000 } } }));
  return items.filter((e) => e.reason?.startsWith(`command ${command}`));
}

/** The audit rows of `action` on instance `id`, once `n` are there (they are written after the response). */
async function auditRows(id: string, action: string, n: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { items } = await body(h.client.GET('/v1/audit', { params: { query: { object: `instance:${id}`, action, limit: 1000 } } }));
    if (items.length >= n) return items.reverse();
    if (Date.now() > deadline) throw new Error(`waited 10 s for ${n} audit rows of ${action} on ${id}, have ${items.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('operating agents on the local provider', () => {
  let id: string;
  let serverDir: string;

  beforeAll(async () => {
    const row = await create('ops-a');
    id = row.id;
    serverDir = join(h.dataDir, 'local-servers', row.serverId!);
  });

  it('status: control-plane view plus the agent’s own report', async () => {
    const res = await h.api(`/v1/instances/${id}/status`);
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s).toMatchObject({ id, status: 'running', connection: 'connected', workloadHealthy: true, execEnabled: false });
    expect(s.agent).toMatchObject({ version: expect.any(String), pid: expect.any(Number), hostname: expect.any(String), workload: { kind: 'process', healthy: true }, connection: { connected: true } });
    expect(s.agent.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(s.agent.workload.pid).toEqual(expect.any(Number));
    // A read: an audit row with who asked and what the agent said, and no event on the instance (#17).
    const [row] = await auditRows(id, 'GET /v1/instances/:id/status', 1);
    expect(row).toMatchObject({ actor: 'api:admin', outcome: '200', reason: expect.stringMatching(/^command status: agent v.* up/) });
    expect(await auditEvents(id, 'status')).toEqual([]);
  });

  it('doctor: structured checks; secret files 0600 pass, a 0644 agent.env fails with a chmod hint', async () => {
    const res = await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' });
    expect(res.status).toBe(200);
    const d = await res.json();
    const names = d.checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['disk', 'memory', 'clock', 'docker', 'tailscale', 'firewall', 'workload', 'permissions state.json', 'permissions agent.env', 'permissions bootstrap.json']));
    for (const c of d.checks) expect(['pass', 'warn', 'fail']).toContain(c.status);
    const by = (n: string) => d.checks.find((c: { name: string }) => c.name === n);
    expect(by('permissions agent.env').status).toBe('pass');
    expect(by('permissions state.json').status).toBe('pass');
    expect(by('clock').status).toBe('pass');
    expect(by('workload').status).toBe('pass');

    const envPath = join(serverDir, 'agent.env');
    chmodSync(envPath, 0o644);
    try {
      const d2 = await (await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' })).json();
      const env = d2.checks.find((c: { name: string }) => c.name === 'permissions agent.env');
      expect(env.status).toBe('fail');
      expect(env.hint).toBe(`chmod 600 ${envPath}`);
      expect(d2.status).toBe('fail');
    } finally {
      chmodSync(envPath, 0o600);
    }
    const rows = await auditRows(id, 'POST /v1/instances/:id/doctor', 2);
    expect(rows[1].reason).toMatch(/^command doctor: fail.*permissions agent.env fail/);
    expect(await auditEvents(id, 'doctor')).toEqual([]);
  });

  it('logs: bootstrap lines, and the workload unit', async () => {
    const res = await h.api(`/v1/instances/${id}/logs?unit=bootstrap&lines=50`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.unit).toBe('bootstrap');
    expect(body.lines.some((l: string) => l.includes('enrolled as agent'))).toBe(true);
    const wl = await (await h.api(`/v1/instances/${id}/logs?unit=workload&lines=5`)).json();
    expect(wl.lines.length).toBeGreaterThan(0);
    expect(wl.lines.length).toBeLessThanOrEqual(5);
    expect((await h.api(`/v1/instances/${id}/logs?unit=nope`)).status).toBe(400);
    expect((await auditRows(id, 'GET /v1/instances/:id/logs', 3)).map((r) => r.outcome)).toEqual(['200', '200', '400']);
    expect(await auditEvents(id, 'logs')).toEqual([]);
  });

  it('read-only calls (status, doctor, logs, a logs --follow poll) leave the event log as it was (#17)', async () => {
    const before = (await body(h.client.GET('/v1/instances/{id}/events', { params: { path: { id }, query: { limit: 1000 } } }))).items;
    for (let i = 0; i < 3; i++) expect((await h.api(`/v1/instances/${id}/status`)).status).toBe(200);
    expect((await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await h.api(`/v1/instances/${id}/logs?unit=workload&lines=5`)).status).toBe(200);
    await auditRows(id, 'GET /v1/instances/:id/logs', 3 + 3);
    const after = (await body(h.client.GET('/v1/instances/{id}/events', { params: { path: { id }, query: { limit: 1000 } } }))).items;
    // The agent may log meanwhile; no command leaves an event.
    expect(after.filter((e) => !before.some((b) => b.id === e.id) && e.reason?.startsWith('command '))).toEqual([]);
  });

  it('smoke: passes for the demo process workload and counts in /metrics', async () => {
    const res = await h.api(`/v1/instances/${id}/smoke`, { method: 'POST' });
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s).toMatchObject({ result: 'pass', kind: 'health' });
    const metrics = await (await h.api(`/metrics`)).text();
    expect(metrics).toMatch(/hangar_smoke_total\{result="pass"\} 1/);
    const ev = await auditEvents(id, 'smoke');
    expect(ev[0].reason).toMatch(/^command smoke: pass/);
  });

  it('restart: the workload comes back healthy with a new process', async () => {
    const before = (await (await h.api(`/v1/instances/${id}/status`)).json()).agent.workload.pid;
    const res = await h.api(`/v1/instances/${id}/restart`, { method: 'POST', json: { target: 'workload' } });
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r).toMatchObject({ restarted: 'workload', healthy: true, pidBefore: before });
    expect(r.pidAfter).toEqual(expect.any(Number));
    expect(r.pidAfter).not.toBe(before);
    const after = (await (await h.api(`/v1/instances/${id}/status`)).json()).agent.workload;
    expect(after).toMatchObject({ pid: r.pidAfter });
    await h.waitFor(id, (row) => row.workloadHealthy === true && row.status === 'running', 10_000);
    // The agent's supervisor restarts it: a new agent process connects again, the workload healthy.
    const agentPid = (await (await h.api(`/v1/instances/${id}/status`)).json()).agent.pid;
    const ra = await (await h.api(`/v1/instances/${id}/restart`, { method: 'POST', json: { target: 'agent' } })).json();
    expect(ra).toMatchObject({ target: 'agent', restarted: 'agent', reconnected: true, healthy: true });
    await expect.poll(async () => {
      const s = await (await h.api(`/v1/instances/${id}/status`)).json();
      return s.connection === 'connected' && s.agent?.pid !== undefined && s.agent.pid !== agentPid && s.agent.workload.healthy === true;
    }, { timeout: 30_000, interval: 250 }).toBe(true);
    expect((await h.api(`/v1/instances/${id}/restart`, { method: 'POST', json: { target: 'server' } })).status).toBe(400);
    expect((await auditEvents(id, 'restart')).length).toBe(2);
  });

  it('exec: refused with 403 unless the instance has config {exec: true}', async () => {
    const res = await h.api(`/v1/instances/${id}/exec`, { method: 'POST', json: { argv: ['echo', 'hi'] } });
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toMatch(/exec is disabled for this instance.*"exec": true/);
    const ev = await auditEvents(id, 'exec');
    expect(ev[0].reason).toMatch(/refused/);
    // The agent refuses too, even if a command reached it past the control plane.
    expect(await h.hub.command(id, 'exec', { argv: ['echo', 'hi'] }, 5000)).toMatchObject({ ok: false, error: expect.stringMatching(/exec is disabled on this agent/) });

    const ex = await create('ops-exec', { config: { exec: true } });
    const ok = await h.api(`/v1/instances/${ex.id}/exec`, { method: 'POST', json: { argv: ['echo', 'hi'] } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ exitCode: 0, stdout: 'hi\n', timedOut: false });
    const fails = await (await h.api(`/v1/instances/${ex.id}/exec`, { method: 'POST', json: { argv: ['sh', '-c', 'echo oops >&2; exit 3'] } })).json();
    expect(fails).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
    const slow = await (await h.api(`/v1/instances/${ex.id}/exec`, { method: 'POST', json: { argv: ['sleep', '10'], timeoutSeconds: 1 } })).json();
    expect(slow.timedOut).toBe(true);
    const token = 'hga_supersecretvalue123';
    await h.api(`/v1/instances/${ex.id}/exec`, { method: 'POST', json: { argv: ['echo', `--api-key=${token}`] } });
    const audit = await auditEvents(ex.id, 'exec');
    expect(audit.length).toBe(4);
    expect(audit[0].reason).toMatch(/echo hi → exit 0/);
    expect(JSON.stringify(audit)).not.toContain(token);
    expect((await (await h.api(`/v1/instances/${ex.id}/status`)).json()).agent.execEnabled).toBe(true);
    await h.api(`/v1/instances/${ex.id}`, { method: 'DELETE' });
  });

  it('unknown id → 404; agent not connected → 409', async () => {
    const none = '00000000-0000-4000-8000-000000000000';
    for (const [m, p] of [['POST', 'doctor'], ['GET', 'logs'], ['POST', 'smoke'], ['POST', 'restart'], ['GET', 'status']] as const) {
      expect((await h.api(`/v1/instances/${none}/${p}`, { method: m })).status, p).toBe(404);
    }
    // Stop the agent process behind the control plane's back: the instance disconnects.
    const rec = JSON.parse(readFileSync(join(serverDir, 'server.json'), 'utf8')) as { pid: number };
    process.kill(-rec.pid, 'SIGKILL'); // the agent and its workload (one process group)
    await h.waitFor(id, (r) => r.connection !== 'connected', 15_000);
    const res = await h.api(`/v1/instances/${id}/doctor`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toMatch(/^agent is not connected \(status .*\); try again when it is$/);
    const st = await (await h.api(`/v1/instances/${id}/status`)).json();
    expect(st.agent).toBeNull();
    expect(st.agentError).toMatch(/not connected/);
    expect(statSync(serverDir).isDirectory()).toBe(true);
  });
});

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/hangar.js');

/** Run the real `hangar` binary (no TTY, no colors). */
async function hangar(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: h.dataDir, HANGAR_URL: h.url, HANGAR_API_KEY: h.apiKey, NO_COLOR: '1' };
  try {
    const r = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hangar status|doctor|logs|smoke|restart|exec', () => {
  let id: string;
  beforeAll(async () => {
    id = (await create('ops-cli', { config: { exec: true } })).id;
  });

  it('status and doctor print tables; --json prints JSON; doctor exits 1 only on a failed check', async () => {
    const s = await hangar(['status', id]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/connection: +connected/);
    expect(s.stdout).toMatch(/workload: +process healthy/);
    expect(s.stdout).toMatch(/exec: +enabled/);
    const sj = JSON.parse((await hangar(['status', id, '--json'])).stdout);
    expect(sj.agent.workload.healthy).toBe(true);

    const d = await hangar(['doctor', id]);
    const report = JSON.parse((await hangar(['doctor', id, '--json'])).stdout);
    const failed = report.checks.some((c: { status: string }) => c.status === 'fail');
    expect(d.code, d.stderr).toBe(failed ? 1 : 0);
    expect(d.stdout).toMatch(/✔ workload/);
    expect(d.stdout).toMatch(/✔ permissions agent\.env/);
    expect(d.stdout).toMatch(/passed, \d+ warnings, \d+ failed/);
    if (!report.checks.find((c: { name: string }) => c.name === 'docker').status.startsWith('pass')) expect(d.stdout).toMatch(/⚠ docker|✖ docker/);
  });

  it('logs, smoke, restart and exec', async () => {
    const l = await hangar(['logs', id, '--unit', 'bootstrap', '-n', '20']);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toContain('enrolled as agent');
    expect((await hangar(['logs', id, '--unit', 'nope'])).code).toBe(2);

    const sm = await hangar(['smoke', id]);
    expect(sm.code, sm.stderr).toBe(0);
    expect(sm.stdout).toMatch(/✔ smoke passed \(health check/);

    const r = await hangar(['restart', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ workload restarted, healthy/);

    const e = await hangar(['exec', id, '--', 'echo', 'hi']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toBe('hi\n');
    const e3 = await hangar(['exec', id, '--', 'sh', '-c', 'echo err >&2; exit 3']);
    expect(e3.code).toBe(3);
    expect(e3.stderr).toContain('err');
    const ej = JSON.parse((await hangar(['exec', id, '--json', '--', 'echo', 'hi'])).stdout);
    expect(ej).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
  });
});

describe('joining the tailnet at enrollment', () => {
  const keys: string[] = [];
  let binDir: string;
  let savedPath: string | undefined;
  beforeAll(() => {
    h.engine.settings.setTailnet({
      createAuthKey: async () => {
        const key = `tskey-auth-test${keys.length}`;
        keys.push(key);
        return { id: `k${keys.length}`, key };
      },
      findDeviceByHostname: async () => null,
      deleteDevice: async () => {},
    });
    // A fake `tailscale`: records its argv, answers `status --json` like a joined device.
    binDir = mkdtempSync(join(tmpdir(), 'hangar-fake-ts-'));
    writeFileSync(
      join(binDir, 'tailscale'),
      `#!/bin/sh\necho "$@" >> "$HOME/tailscale-calls.log"\nif [ "$1" = status ]; then echo '{"BackendState":"Running","Self":{"DNSName":"fake-device.tail1234.ts.net.","Online":true,"TailscaleIPs":["100.64.0.9"]}}'; fi\nexit 0\n`,
      { mode: 0o755 },
    );
    savedPath = process.env.PATH;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    h.engine.settings.setTailnet(null);
  });

  it('without a tailscale binary: logs "tailscale not installed; skipping" and carries on to running', async () => {
    const row = await create('ops-ts-none', { tailscale: true });
    const lines = (await (await h.api(`/v1/instances/${row.id}/logs?unit=bootstrap`)).json()).lines as string[];
    expect(lines.some((l) => l.endsWith('tailscale not installed; skipping'))).toBe(true);
  });

  it('with tailscale: runs tailscale up with the enrollment key, stores the tailnet name, never logs the key', async () => {
    process.env.PATH = `${binDir}:${savedPath}`;
    const row = await create('ops-ts', { tailscale: true });
    process.env.PATH = savedPath;
    const dir = join(h.dataDir, 'local-servers', row.serverId!);
    const calls = readFileSync(join(dir, 'tailscale-calls.log'), 'utf8').split('\n').filter(Boolean);
    expect(calls[0]).toBe(`up --auth-key=${keys[keys.length - 1]} --hostname=${row.serverName} --advertise-tags=tag:hangar --ssh`);
    expect(calls).toContain('status --json');
    await h.waitFor(row.id, (r) => r.tailnetName === 'fake-device.tail1234.ts.net', 10_000);
    const lines = (await (await h.api(`/v1/instances/${row.id}/logs?unit=bootstrap`)).json()).lines as string[];
    expect(lines.some((l) => l.endsWith('tailscale up: joined the tailnet'))).toBe(true);
    const st = await (await h.api(`/v1/instances/${row.id}/status`)).json();
    expect(st.agent.tailnetName).toBe('fake-device.tail1234.ts.net');
    const events = JSON.stringify((await (await h.api(`/v1/instances/${row.id}/events?limit=1000`)).json()).items);
    for (const k of keys) expect(events).not.toContain(k);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).not.toContain('tskey-auth-');
    const doctor = await (await h.api(`/v1/instances/${row.id}/doctor`, { method: 'POST' })).json();
    // The doctor ran in the agent's environment, whose PATH has the fake tailscale.
    expect(doctor.checks.find((c: { name: string }) => c.name === 'tailscale')).toMatchObject({ status: 'pass', detail: 'running as fake-device.tail1234.ts.net (100.64.0.9)' });
  });
});
