/**
 * The Ansible dynamic inventory with the REAL `ansible-inventory` and `ansible` (ansible-core):
 * instances on the Hetzner and DigitalOcean emulators (one on the emulated tailnet) show up in
 * `ansible-inventory -i contrib/hangar-inventory --graph` under their groups, and an instance on
 * an SSH host (a real sshd on this machine) answers `ansible … -m ping` over SSH, with the port and
 * user the inventory gives. No secret reaches the inventory.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFromEnv } from '../../src/wiring/registry.ts';
import { createAgentBoot } from '../emulators/boot.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from '../emulators/tailscale.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { startSshd, type TestSshd } from '../helpers/sshd.ts';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../contrib/hangar-inventory');

let hz: HetznerEmulator;
let d: DigitalOceanEmulator;
let ts: TailscaleEmulator;
let sshd: TestSshd;
let h: TestHangar;

beforeAll(async () => {
  ts = await startTailscaleEmulator({ keyPolicy: { singleUse: true, ephemeral: true, preauthorized: true, tagged: true }, allowedTags: ['tag:hangar', 'tag:acme'] });
  const boot = createAgentBoot({ killAfterMs: 2000, tailnet: ts });
  hz = await startHetznerEmulator({ boot, tokens: '*', bootDelayMs: 50, actionDelayMs: 20 });
  d = await startDigitalOceanEmulator({ boot, tokens: '*', bootDelayMs: 50, actionDelayMs: 20 });
  sshd = await startSshd();
  const reg = providersFromEnv({
    HETZNER_API_TOKEN: `hz-${randomUUID()}`,
    HCLOUD_ENDPOINT: hz.baseUrl,
    DIGITALOCEAN_API_TOKEN: `do-${randomUUID()}`,
    DIGITALOCEAN_API_URL: d.url,
    TAILSCALE_API_KEY: ts.token,
    TAILSCALE_BASE_URL: ts.baseUrl,
    HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*',
  });
  h = await startTestHangar('inventory', { reconcileSeconds: 0 }, { providers: reg.providers, tailnet: reg.tailnet });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([hz?.stop(), d?.stop(), ts?.stop(), sshd?.stop()]);
});

/** Run an Ansible tool with the inventory script reading this Hangar. */
async function ansible(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: h.dataDir, HANGAR_URL: h.url, HANGAR_API_KEY: h.apiKey, NO_COLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(h.dataDir, 'ansible-tmp'), ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' };
  try {
    const r = await run(cmd, args, { env, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function create(json: Record<string, unknown>): Promise<{ id: string; serverName: string }> {
  const res = await h.api('/v1/instances', { method: 'POST', json: { workload: 'process', ...json } });
  expect(res.status, await res.clone().text()).toBe(201);
  const inst = (await res.json()) as { id: string; serverName: string };
  const row = await h.waitFor(inst.id, (r) => r.status === 'running' || r.status === 'failed', 90_000);
  expect(row.status, row.failureReason ?? '').toBe('running');
  return inst;
}

describe('Ansible dynamic inventory', () => {
  it('ansible-inventory --graph shows instances on the emulated clouds in their groups; the tailnet name is ansible_host', async () => {
    const [a, b] = await Promise.all([create({ provider: 'hetzner', name: 'inv hz', location: 'fsn1', tailscale: true, tailscaleTags: ['tag:acme'] }), create({ provider: 'digital-ocean', name: 'inv do' })]);

    const graph = await ansible('ansible-inventory', ['-i', SCRIPT, '--graph']);
    expect(graph.code, graph.stderr).toBe(0);
    const under = (group: string) => graph.stdout.split(`@${group}:`)[1]?.split(/\n  \|--@|\n\|--@/)[0] ?? '';
    expect(under('provider_hetzner')).toContain(a.serverName);
    expect(under('provider_digital_ocean')).toContain(b.serverName);
    expect(under('location_fsn1')).toContain(a.serverName);
    expect(under('status_running')).toContain(a.serverName);
    expect(under('status_running')).toContain(b.serverName);
    expect(under('workload_process')).toContain(b.serverName);
    expect(under('project_default')).toContain(a.serverName);
    expect(graph.stdout).toMatch(/@label_hangar_dev_installation_/);

    // The emulated servers run no tailscaled, so their agents report no MagicDNS name in their
    // hello; record the one a real agent reports (src/hub/hub.ts stores it the same way).
    await h.engine.store.update(a.id, { tailnetName: `${a.serverName}.tail-test.ts.net` });
    const list = await ansible('ansible-inventory', ['-i', SCRIPT, '--list']);
    expect(list.code, list.stderr).toBe(0);
    const inv = JSON.parse(list.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    const row = await h.engine.store.get(a.id);
    expect(row.tailnetName).toBe(`${a.serverName}.tail-test.ts.net`);
    expect(inv._meta.hostvars[a.serverName]).toMatchObject({ ansible_host: row.tailnetName, hangar_provider: 'hetzner', hangar_server_type: row.serverType, hangar_agent_version: row.agentVersion, hangar_server_id: row.serverId });
    expect(inv._meta.hostvars[b.serverName]).toMatchObject({ ansible_host: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    expect(list.stdout).not.toMatch(/hg[abr]_[A-Za-z0-9]/);

    // The CLI itself speaks the script protocol, and GET /v1/inventory serves the same.
    const host = await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['inventory', '--host', b.serverName]);
    expect(host.code, host.stderr).toBe(0);
    expect(JSON.parse(host.stdout)).toMatchObject({ hangar_id: b.id, hangar_name: 'inv do' });
    expect(JSON.parse((await runCli({ url: h.url, apiKey: h.apiKey, dataDir: h.dataDir }, ['inventory', '--host', 'nope'])).stdout)).toEqual({});
    const api = (await (await h.api('/v1/inventory')).json()) as { provider_hetzner: { hosts: string[] } };
    expect(api.provider_hetzner.hosts).toContain(a.serverName);

    // Stopped instances leave the inventory.
    await h.api(`/v1/instances/${b.id}`, { method: 'DELETE' });
    await h.waitFor(b.id, (r) => r.status === 'stopped', 60_000);
    const after = await ansible('ansible-inventory', ['-i', SCRIPT, '--graph']);
    expect(after.stdout).not.toContain(b.serverName);
    await h.api(`/v1/instances/${a.id}`, { method: 'DELETE' });
  }, 180_000);

  it('ansible -m ping reaches an instance on an SSH host over SSH, with the port and user from the inventory', async () => {
    const res = await h.api('/v1/ssh-hosts', { method: 'POST', json: { name: 'inv-byo', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey, remoteRoot: sshd.root('inv') } });
    expect(res.status, await res.clone().text()).toBe(201);
    const inst = await create({ provider: 'ssh', location: 'inv-byo' });

    const ping = await ansible('ansible', ['-i', SCRIPT, 'provider_ssh', '-m', 'ping', '--private-key', sshd.clientKeyPath]);
    expect(ping.code, `${ping.stdout}\n${ping.stderr}`).toBe(0);
    expect(ping.stdout).toMatch(new RegExp(`${inst.serverName} \\| SUCCESS`));
    expect(ping.stdout).toContain('"ping": "pong"');

    const vars = await ansible('ansible-inventory', ['-i', SCRIPT, '--host', inst.serverName]);
    expect(JSON.parse(vars.stdout)).toMatchObject({ ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: sshd.user });
    expect(vars.stdout).not.toContain('PRIVATE KEY');

    await h.api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
    await h.waitFor(inst.id, (r) => r.status === 'stopped', 60_000);
  }, 180_000);
});
