import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIntoHead, type CliTarget } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { processesMatching } from '../helpers/procs.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/hangar.js');

let h: TestHangar;
let home: string;
let target: CliTarget;
beforeAll(async () => {
  h = await startTestHangar('cli');
  home = mkdtempSync(join(tmpdir(), 'hangar-cli-home-'));
  target = { url: h.url, apiKey: h.apiKey, dataDir: home };
});
afterAll(async () => {
  await h?.close();
});

/** Run the real `hangar` binary as a user would (no TTY: plain progress lines). */
async function hangar(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: home, HANGAR_URL: h.url, HANGAR_API_KEY: h.apiKey, NO_COLOR: '1' };
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hangar CLI against a real server', () => {
  it('create --wait shows every step and exits 0 at running; ls/get/events; rm --wait reaches stopped', async () => {
    const created = await hangar(['create', '--provider', 'local', '--name', 'cli one', '--wait']);
    expect(created.code, created.stderr).toBe(0);
    for (const step of ['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']) expect(created.stderr).toMatch(new RegExp(`✔ ${step} \\d`));
    expect(created.stderr).toMatch(/is running/);

    const ls = await hangar(['ls', '--json']);
    expect(ls.code).toBe(0);
    const items = JSON.parse(ls.stdout) as { id: string; name: string; status: string }[];
    const inst = items.find((i) => i.name === 'cli one')!;
    expect(inst.status).toBe('running');

    const table = await hangar(['ls']);
    expect(table.stdout).toMatch(new RegExp(`${inst.id.slice(0, 8)}\\s+cli one\\s+local\\s+running\\s+connected`));

    const get = await hangar(['get', inst.id.slice(0, 8)]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/workload:\s+process \(healthy\)/);

    const events = await hangar(['events', inst.id, '--json']);
    const kinds = (JSON.parse(events.stdout) as { kind: string; to: string | null }[]).map((e) => e.to).filter(Boolean);
    expect(kinds).toContain('running');

    const rm = await hangar(['rm', inst.id, '--wait']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(/✔ stopped/);
    expect(rm.stderr).not.toMatch(/create_server/); // follows only the teardown
    expect(processesMatching('agent.mjs', inst.id)).toEqual([]);
    const gone = await hangar(['get', inst.id, '--json']);
    expect(JSON.parse(gone.stdout).status).toBe('stopped');
  });

  it('events --follow replays then streams until the instance stops', async () => {
    const created = await hangar(['create', '-p', 'local', '--json']);
    const id = JSON.parse(created.stdout).id as string;
    const follow = hangar(['events', id, '--follow', '--json']);
    await h.waitFor(id, (r) => r.status === 'running');
    await h.api(`/v1/instances/${id}`, { method: 'DELETE' });
    const out = await follow;
    expect(out.code).toBe(0);
    const tos = out.stdout.trim().split('\n').map((l) => JSON.parse(l).to);
    expect(tos[0]).toBe('pending');
    expect(tos).toContain('running');
    expect(tos.at(-1)).toBe('stopped');
  });

  it('login saves url and key 0600 and later calls use them', async () => {
    const login = await hangar(['login', '--api-key', h.apiKey, '--url', h.url], { HANGAR_API_KEY: '', HANGAR_URL: '' });
    expect(login.code, login.stderr).toBe(0);
    const path = join(home, 'hangar', 'config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8')).url).toBe(h.url);
    const ls = await hangar(['ls'], { HANGAR_API_KEY: '', HANGAR_URL: '' });
    expect(ls.code, ls.stderr).toBe(0);
  });

  it('exit codes: 2 for usage errors, 1 for API errors with the field named, 1 when unreachable', async () => {
    const usage = await hangar(['create', '-p', 'local', '--set', 'novalue']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--set novalue: expected key=value/);
    const missing = await hangar(['create']);
    expect(missing.code).toBe(2);

    const bad = await hangar(['create', '-p', 'mars']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--provider/);

    const unknown = await hangar(['get', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found|no instance/i);

    const denied = await hangar(['ls'], { HANGAR_API_KEY: 'hgr_wrong' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/API key/);

    const down = await hangar(['ls'], { HANGAR_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Hangar/);
  });

  it('create --wait exits 1 with the reason when the instance fails', async () => {
    // A process workload whose command exits at once: the agent reports it, the instance fails.
    const r = await hangar(['create', '-p', 'local', '--connect-timeout', '10', '--set', 'command=/bin/false', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed/);
  });
});

describe('hangar CLI: walls a new user hits', () => {
  it('a closed stdout (`| head -1`) ends the CLI quietly with exit 0: create --dry-run, events, events --follow', async () => {
    // A plan larger than a pipe holds (64 KiB), so the CLI is still writing when the reader goes.
    const big = join(home, 'big-config.json');
    writeFileSync(big, JSON.stringify({ command: '/bin/true', args: Array.from({ length: 100 }, (_, i) => `${i}-${'x'.repeat(2000)}`) }));
    const dry = await cliIntoHead(target, ['create', '-p', 'local', '--config-file', big, '--dry-run']);
    expect(dry.firstLine, dry.stderr).toMatch(/^plan: /);
    expect(dry.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(dry.code).toBe(0);

    const id = JSON.parse((await hangar(['create', '-p', 'local', '--json'])).stdout).id as string;
    await h.waitFor(id, (r) => r.status === 'running');
    // --follow: the CLI writes again when the instance changes, after the reader is gone.
    const follow = await cliIntoHead(target, ['events', id, '--follow'], () => h.api(`/v1/instances/${id}`, { method: 'DELETE' }));
    expect(follow.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(follow.code).toBe(0);
    const events = await cliIntoHead(target, ['events', id, '--json']);
    expect(events.firstLine).toBe('[');
    expect(events.stderr).toBe('');
    expect(events.code).toBe(0);
  });

  it('logs: an empty unit says on stderr which units there are and how to ask for them (exit 0); --help names them', async () => {
    const name = `logs-${Date.now() % 100_000}`;
    const created = await hangar(['create', '-p', 'local', '--name', name, '--wait']);
    expect(created.code, created.stderr).toBe(0);
    const id = JSON.parse((await hangar(['get', name, '--json'])).stdout).id as string;
    const agent = await hangar(['logs', name]);
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.stdout).toBe('');
    expect(agent.stderr).toMatch(/no lines in the agent log/);
    expect(agent.stderr).toMatch(/units: agent, bootstrap, workload/);
    expect(agent.stderr).toContain(`hangar logs ${name} -u bootstrap`);
    expect(agent.stderr).toContain(`hangar logs ${name} -u workload`);
    const bootstrap = await hangar(['logs', name, '-u', 'bootstrap']);
    expect(bootstrap.code).toBe(0);
    expect(bootstrap.stdout).not.toBe('');
    expect(bootstrap.stderr).toBe('');
    // --json keeps stdout machine-readable and stderr quiet.
    const json = await hangar(['logs', id, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ unit: 'agent', lines: [] });
    expect(json.stderr).toBe('');
    const help = await hangar(['logs', '--help']);
    expect(help.stdout).toMatch(/agent, bootstrap or workload/);
    expect(help.stdout).toMatch(/-u workload/);
    await hangar(['rm', id]);
  });

  it('an unnamed instance is named after its workload and id, as --help and the API document say', async () => {
    const created = await hangar(['create', '-p', 'local', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const inst = JSON.parse(created.stdout) as { id: string; name: string; serverName: string };
    const short = inst.id.replace(/-/g, '').slice(0, 8);
    expect(inst.name).toBe(`process-${short}`);
    expect(inst.serverName).toBe(`hangar-process-${short}`);
    const named = JSON.parse((await hangar(['create', '-p', 'local', '--name', 'mine', '--json'])).stdout) as { id: string; name: string; serverName: string };
    expect([named.name, named.serverName]).toEqual(['mine', `hangar-mine-${named.id.replace(/-/g, '').slice(0, 8)}`]);
    const help = await hangar(['create', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/default: <workload>-<first 8 hex of the id>/);
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { components: { schemas: { CreateInstance?: { properties: { name: { description?: string } } } } } };
    const described = JSON.stringify(doc).match(/"description":"[^"]*<workload>-<first 8 hex of the id>[^"]*"/);
    expect(described, 'the API document describes the default name').not.toBeNull();
    for (const i of [inst, named]) await hangar(['rm', i.id]);
  });

  it('providers: an unconfigured cloud says which variables enable it, in the list and by name', async () => {
    const list = await hangar(['providers']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/local\s+yes/);
    expect(list.stdout).toMatch(/hetzner\s+no\s+.*HETZNER_API_TOKEN or HCLOUD_TOKEN/);
    expect(list.stdout).toMatch(/digital-ocean\s+no\s+.*DIGITALOCEAN_API_TOKEN or DIGITALOCEAN_TOKEN/);
    const json = JSON.parse((await hangar(['providers', '--json'])).stdout) as { name: string; configured: boolean; enable?: string }[];
    expect(json).toContainEqual(expect.objectContaining({ name: 'local', configured: true }));
    expect(json).toContainEqual({ name: 'hetzner', configured: false, enable: expect.stringContaining('PUT /v1/providers/hetzner/credentials') });

    const one = await hangar(['providers', 'hetzner']);
    expect(one.code).toBe(1);
    expect(one.stderr).not.toMatch(/not found/);
    expect(one.stderr).toMatch(/hetzner is not configured/);
    expect(one.stderr).toMatch(/HETZNER_API_TOKEN or HCLOUD_TOKEN/);
    expect(one.stderr).toMatch(/PUT \/v1\/providers\/hetzner\/credentials/);
    const doOne = await hangar(['providers', 'digital-ocean']);
    expect(doOne.stderr).toMatch(/DIGITALOCEAN_API_TOKEN or DIGITALOCEAN_TOKEN/);
    const unknown = await hangar(['providers', 'aws']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/local, hetzner, digital-ocean, ssh/);
  });

  it('--set types its values (booleans, integers, JSON), --set-string keeps a string; create --help shows both', async () => {
    const plan = await hangar(['create', '-p', 'local', '--dry-run', '--json', '--set', 'exec=true', '--set', 'port=8080', '--set', 'args=["--flag","x"]', '--set-string', 'healthPath=/healthz', '--set', 'command=/usr/bin/env']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).config).toEqual({ exec: true, port: 8080, args: ['--flag', 'x'], healthPath: '/healthz', command: '/usr/bin/env' });
    const created = await hangar(['create', '-p', 'local', '--set', 'exec=true', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const inst = JSON.parse(created.stdout) as { id: string; config: Record<string, unknown> };
    expect(inst.config.exec).toBe(true);
    const badJson = await hangar(['create', '-p', 'local', '--set', 'args=[oops']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--set args=\[oops: .*JSON/);
    const help = await hangar(['create', '--help']);
    expect(help.stdout).toMatch(/--set-string <key=value>/);
    expect(help.stdout).toMatch(/--set exec=true/);
    await hangar(['rm', inst.id]);
  });

  it('usage errors exit 2 naming the flag: unknown --provider, --workload, --status; a 400 on a flag too', async () => {
    const provider = await hangar(['create', '--provider', 'aws']);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toMatch(/--provider/);
    expect(provider.stderr).toMatch(/local, hetzner, digital-ocean, ssh/);
    const workload = await hangar(['create', '-p', 'local', '--workload', 'nginx']);
    expect(workload.code).toBe(2);
    expect(workload.stderr).toMatch(/--workload/);
    const status = await hangar(['ls', '--status', 'running,bogus']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/--status/);
    expect(status.stderr).toMatch(/bogus/);
    expect(status.stderr).toMatch(/pending, provisioning, running, hibernating, hibernated, stopping, stopped, failed/);
    expect((await hangar(['ls', '--status', 'running,failed'])).code).toBe(0);
    const lsProvider = await hangar(['ls', '--provider', 'aws']);
    expect(lsProvider.code).toBe(2);
    // Known to the CLI but refused by this server (not configured here): the server's 400 names
    // `provider`, which is the --provider flag: a usage error too.
    const unconfigured = await hangar(['create', '--provider', 'hetzner']);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/provider \(--provider\): /);
    expect(unconfigured.stderr).toMatch(/hangar providers/);
    const location = await hangar(['create', '--provider', 'local', '--image', 'x'.repeat(200)]);
    expect(location.code).toBe(2);
    expect(location.stderr).toMatch(/image \(--image\): /);
  });
});
