import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { processesMatching } from '../helpers/procs.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/hangar.js');

let h: TestHangar;
let home: string;
beforeAll(async () => {
  h = await startTestHangar('cli');
  home = mkdtempSync(join(tmpdir(), 'hangar-cli-home-'));
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
    for (const step of ['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']) expect(created.stdout).toMatch(new RegExp(`✔ ${step} \\d`));
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
    expect(rm.stdout).toMatch(/✔ stopped/);
    expect(rm.stdout).not.toMatch(/create_server/); // follows only the teardown
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
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/provider: /);

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
