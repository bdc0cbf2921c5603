/**
 * The operations commands (status, doctor, logs and `logs --follow`, smoke, restart, exec) on
 * instances of the emulated clouds: each Hetzner server and DigitalOcean droplet boots the real
 * agent from its user-data, and every command goes through Hangar's hub to that agent.
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/engine/audit.ts';
import { LABEL_INSTANCE } from '../../src/domain/names.ts';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

let hz: HetznerEmulator;
let d: DigitalOceanEmulator;
let h: TestHangar;
let agents: ReturnType<typeof createAgentBoot>;

beforeAll(async () => {
  agents = createAgentBoot({ killAfterMs: 2000 });
  hz = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
  d = await startDigitalOceanEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
  const reg = providersFromEnv({ HETZNER_API_TOKEN: `hz-${randomUUID()}`, HCLOUD_ENDPOINT: hz.baseUrl, DIGITALOCEAN_API_TOKEN: `do-${randomUUID()}`, DIGITALOCEAN_API_URL: d.url, HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' });
  expect(reg.warnings).toEqual([]);
  h = await startTestHangar('ops-cloud', { reconcileSeconds: 0 }, { providers: reg.providers, noLocal: true });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hz?.stop();
  await d?.stop();
});

type Cloud = 'hetzner' | 'digital-ocean';

/** Create a `process` instance on a cloud and wait until its agent is connected and healthy. */
async function running(cloud: Cloud, name: string, config: Record<string, unknown> = {}) {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: cloud, name, workload: 'process', config } });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const row = await h.waitFor(id, (r) => (r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true) || r.status === 'failed', 90_000);
  expect(row.status, row.failureReason ?? '').toBe('running');
  const agent = agents.processes.get(row.serverId!);
  expect(agent, `agent of server ${row.serverId}`).toBeDefined();
  return { id, row, agent: agent! };
}

const json = async (res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
};
const audit = async (id: string, command: string) => (await h.engine.store.events(id, { limit: 10_000 })).filter((e) => e.data?.command === command);
/** Audit rows of `action` on an instance, oldest first, once `n` are there (written after the response). */
async function auditRows(id: string, action: string, n: number) {
  for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const rows = (await listAudit(h.engine.store.db, { object: `instance:${id}`, action })).reverse();
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) throw new Error(`waited 10 s for ${n} audit rows of ${action}, have ${rows.length}`);
  }
}

function serverGone(cloud: Cloud, instanceId: string): boolean {
  if (cloud === 'hetzner') return ![...hz.state.servers.values()].some((s) => s.labels[LABEL_INSTANCE] === instanceId);
  return ![...d.state.droplets.values()].some((x) => x.tags.includes(`hangar-instance-${instanceId}`));
}

for (const cloud of ['hetzner', 'digital-ocean'] as const) {
  describe(`operating agents on ${cloud} (emulated)`, () => {
    let inst: Awaited<ReturnType<typeof running>>;
    let plain: Awaited<ReturnType<typeof running>>;

    beforeAll(async () => {
      [inst, plain] = await Promise.all([running(cloud, `ops ${cloud}`, { exec: true }), running(cloud, `ops ${cloud} plain`)]);
    }, 120_000);

    it('status: the control plane’s view and the agent’s own report from the booted server', async () => {
      const s = await json(await h.api(`/v1/instances/${inst.id}/status`));
      expect(s).toMatchObject({ id: inst.id, status: 'running', connection: 'connected', workloadHealthy: true, execEnabled: true, lastSmoke: null });
      expect(s.agent).toMatchObject({ workload: { kind: 'process', healthy: true, pid: expect.any(Number) }, connection: { connected: true, hubUrl: expect.stringContaining(new URL(h.url).host) }, execEnabled: true });
      expect(s.agent.version).toBe(s.agentVersion);
      const cli = await runCli(h, ['status', inst.id]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/^connection: +connected$/m);
      expect(cli.stdout).toMatch(/^workload: +process healthy/m);
      expect(cli.stdout).toMatch(/^exec: +enabled$/m);
    });

    it('doctor: checks run on the server; its secret files are 0600', async () => {
      const r = await json(await h.api(`/v1/instances/${inst.id}/doctor`, { method: 'POST' }));
      const by = (n: string) => r.checks.find((c: { name: string }) => c.name === n);
      expect(by('workload')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/→ 200$/) });
      for (const f of ['state.json', 'agent.env', 'bootstrap.json']) expect(by(`permissions ${f}`), f).toMatchObject({ status: 'pass', detail: expect.stringMatching(/ is 0600$/) });
      expect(by('clock').status).toBe('pass');
      expect(by('disk').detail).toContain(inst.agent.dir);
      expect((await auditRows(inst.id, 'POST /v1/instances/:id/doctor', 1)).at(-1)?.reason).toMatch(/^command doctor: (pass|warn|fail)/);
      expect(await audit(inst.id, 'doctor')).toEqual([]); // a read: no instance event (#17)
    });

    it('logs: the enrollment in the bootstrap unit, the workload’s own output', async () => {
      const b = await json(await h.api(`/v1/instances/${inst.id}/logs?unit=bootstrap&lines=50`));
      expect(b.lines.some((l: string) => l.includes(`enrolled as agent`))).toBe(true);
      const w = await json(await h.api(`/v1/instances/${inst.id}/logs?unit=workload&lines=20`));
      expect(w.lines.some((l: string) => /workload process started on port \d+/.test(l))).toBe(true);
      expect((await auditRows(inst.id, 'GET /v1/instances/:id/logs', 2)).length).toBe(2);
      expect(await audit(inst.id, 'logs')).toEqual([]);
    });

    it('smoke: passes, and the status shows it', async () => {
      const s = await json(await h.api(`/v1/instances/${inst.id}/smoke`, { method: 'POST' }));
      expect(s).toMatchObject({ result: 'pass', kind: 'health', detail: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/healthz → 200$/) });
      expect((await json(await h.api(`/v1/instances/${inst.id}/status`))).lastSmoke).toMatchObject({ result: 'pass', detail: s.detail });
    });

    it('restart while `hangar logs --follow` runs: a new workload process, healthy, and the follower prints its start', async () => {
      const follow = spawnCli(h, ['logs', inst.id, '--unit', 'workload', '-n', '5', '--follow']);
      try {
        await expect.poll(() => follow.output(), { timeout: 15_000 }).toMatch(/workload process started on port \d+/);
        const before = follow.output().match(/started on port \d+/g)!.length;
        const oldPid = (await json(await h.api(`/v1/instances/${inst.id}/status`))).agent.workload.pid as number;
        const r = await json(await h.api(`/v1/instances/${inst.id}/restart`, { method: 'POST', json: { target: 'workload' } }));
        expect(r).toMatchObject({ restarted: 'workload', healthy: true, pidBefore: oldPid });
        expect(r.pidAfter).not.toBe(oldPid);
        expect(() => process.kill(oldPid, 0)).toThrow(); // the old process is gone from the "server"
        expect((await json(await h.api(`/v1/instances/${inst.id}/status`))).agent.workload).toMatchObject({ pid: r.pidAfter, healthy: true });
        await expect.poll(() => follow.output().match(/started on port \d+/g)!.length, { timeout: 15_000 }).toBeGreaterThan(before);
        expect(follow.output()).toMatch(/workload process exited/);
      } finally {
        follow.kill('SIGINT');
      }
      // An agent restart: a supervised agent exits and comes back as a new process on the same
      // enrollment; an unsupervised one restarts the workload instead and says so.
      const agentPid = (await json(await h.api(`/v1/instances/${inst.id}/status`))).agent.pid as number;
      const ra = await json(await h.api(`/v1/instances/${inst.id}/restart`, { method: 'POST', json: { target: 'agent' } }));
      expect(ra).toMatchObject({ target: 'agent', restarted: 'agent' });
      await expect.poll(async () => {
        const s = await (await h.api(`/v1/instances/${inst.id}/status`)).json();
        return s.connection === 'connected' && s.agent?.pid !== undefined && s.agent.pid !== agentPid && s.agent.workload.healthy === true;
      }, { timeout: 30_000, interval: 250 }).toBe(true);
      expect((await h.engine.store.get(inst.id)).status).toBe('running');
    }, 60_000);

    it('exec: runs argv on the server when enabled; refused by Hangar and by the agent when not', async () => {
      const pwd = await json(await h.api(`/v1/instances/${inst.id}/exec`, { method: 'POST', json: { argv: ['pwd'] } }));
      expect(pwd).toMatchObject({ exitCode: 0, timedOut: false });
      expect(realpathSync(pwd.stdout.trim())).toBe(realpathSync(inst.agent.dir));
      const cat = await json(await h.api(`/v1/instances/${inst.id}/exec`, { method: 'POST', json: { argv: ['sh', '-c', 'stat -c %a state.json; exit 4'] } }));
      expect(cat).toMatchObject({ exitCode: 4, stdout: '600\n' });
      const cli = await runCli(h, ['exec', inst.id, '--', 'echo', 'from', cloud]);
      expect(cli).toMatchObject({ code: 0, stdout: `from ${cloud}\n` });

      const refused = await h.api(`/v1/instances/${plain.id}/exec`, { method: 'POST', json: { argv: ['echo', 'hi'] } });
      expect(refused.status).toBe(403);
      expect((await refused.json()).detail).toMatch(/exec is disabled for this instance/);
      expect(await h.hub.command(plain.id, 'exec', { argv: ['echo', 'hi'] }, 5000)).toMatchObject({ ok: false, error: expect.stringMatching(/exec is disabled on this agent/) });
      expect((await audit(plain.id, 'exec')).map((e) => e.reason)).toEqual(['command exec refused: exec is not enabled on this instance']);
    });

    it('destroy: both servers deleted, agents stopped, commands answer 409', async () => {
      for (const x of [inst, plain]) expect((await h.api(`/v1/instances/${x.id}`, { method: 'DELETE' })).status).toBe(202);
      for (const x of [inst, plain]) {
        await h.waitFor(x.id, (r) => r.status === 'stopped', 60_000);
        await x.agent.exited;
        await expect.poll(() => serverGone(cloud, x.id), { timeout: 15_000 }).toBe(true);
      }
      const res = await h.api(`/v1/instances/${inst.id}/doctor`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect((await json(await h.api(`/v1/instances/${inst.id}/status`))).agent).toBeNull();
    }, 90_000);
  });
}
