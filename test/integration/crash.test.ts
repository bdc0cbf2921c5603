import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prng } from '../chaos/chaos.ts';
import { testDatabase } from '../helpers/db.ts';
import { freePort, spawnHangar, type HangarProcess } from '../helpers/process.ts';
import { killMatching, processesMatching } from '../helpers/procs.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-crash-'));
let current: HangarProcess | null = null;
let dropDb: () => Promise<void> = async () => {};

afterAll(async () => {
  await current?.kill('SIGTERM');
  // Reap any agent left behind by a failing run.
  killMatching('--state-dir', dataDir);
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
});


describe('kill -9 of the Hangar process mid-provision', () => {
  it('finishes every instance after a restart without a second server or agent process', async () => {
    const db = await testDatabase('crash');
    dropDb = db.drop;
    const port = await freePort();
    // A step held by a killed process comes back by orphan recovery at the next start, or at the
    // latest when its lease ends: a short lease keeps that bound inside the test's wait.
    const env = { HANGAR_DATA_DIR: dataDir, DATABASE_URL: db.url ?? '', HANGAR_HEARTBEAT_SECONDS: '1', HANGAR_POLL_SECONDS: '0.5', HANGAR_JOB_LEASE_SECONDS: '20' };
    current = spawnHangar(env, port);
    const key = (await current.ready)!;
    expect(key).toMatch(/^hgr_/);
    const api = (path: string, init: RequestInit = {}) => fetch(`${current!.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as object) } });
    const rand = prng(Number(process.env.HANGAR_CHAOS_SEED ?? 42));
    const ids: string[] = [];
    const rounds = Number(process.env.HANGAR_CRASH_ROUNDS ?? 4);
    for (let round = 0; round < rounds; round++) {
      const res = await api('/v1/instances', { method: 'POST', body: JSON.stringify({ provider: 'local', name: `crash-${round}` }) });
      expect(res.status).toBe(201);
      ids.push((await res.json()).id);
      // Kill at a seeded moment between "intent committed" and "running".
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 900)));
      await current.kill('SIGKILL');
      current = spawnHangar(env, port);
      expect(await current.ready).toBeNull(); // not a first start: no new admin key
    }
    // Every instance reaches running after the restarts.
    for (const id of ids) {
      const status = async () => (await (await api(`/v1/instances/${id}`)).json()).status;
      await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe('running').catch(async (err: Error) => {
        // Say where it stopped: the instance's events and the last Hangar's output.
        const events = await (await api(`/v1/instances/${id}/events`)).json();
        const dir = join(dataDir, 'local-servers');
        const consoles = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'console.log')) && readFileSync(join(dir, d, 'server.json'), 'utf8').includes(id)).map((d) => `${d}: ${readFileSync(join(dir, d, 'console.log'), 'utf8').slice(-1000)}\n${existsSync(join(dir, d, 'agent.log')) ? readFileSync(join(dir, d, 'agent.log'), 'utf8').slice(-3000) : '(no agent.log)'}`);
        throw new Error(`${err.message}\nevents of ${id}: ${JSON.stringify(events).slice(-4000)}\nconsole: ${consoles.join('\n')}\nhangar output: ${current!.output().slice(-3000)}`);
      });
    }
    // Exactly one server (record + agent process) per instance, and none unexplained.
    const serversDir = join(dataDir, 'local-servers');
    // (A create killed before its record was renamed into place leaves a `.new` directory: no server.)
    const serverDirs = () => (existsSync(serversDir) ? readdirSync(serversDir).filter((d) => !d.endsWith('.new')) : []);
    const servers = serverDirs().map((d) => JSON.parse(readFileSync(join(serversDir, d, 'server.json'), 'utf8')) as { id: string; labels: Record<string, string> });
    expect(servers).toHaveLength(ids.length);
    for (const id of ids) {
      const mine = servers.filter((s) => s.labels['hangar.dev/instance'] === id);
      expect(mine, `servers for ${id}`).toHaveLength(1);
      expect(processesMatching('--run', '--state-dir', join(serversDir, mine[0].id)), `agent processes for ${id}`).toHaveLength(1);
      const row = await (await api(`/v1/instances/${id}`)).json();
      expect(row.serverId).toBe(mine[0].id);
      // Agents back off (jittered, ≤ 30 s) while the control plane is down, then reconnect.
      await expect.poll(async () => (await (await api(`/v1/instances/${id}`)).json()).connection, { timeout: 60_000, interval: 250 }).toBe('connected');
    }
    // And teardown after all that leaves nothing behind.
    for (const id of ids) await api(`/v1/instances/${id}`, { method: 'DELETE' });
    for (const id of ids) {
      await expect.poll(async () => (await (await api(`/v1/instances/${id}`)).json()).status, { timeout: 60_000, interval: 250 }).toBe('stopped');
    }
    expect(processesMatching('--state-dir', serversDir)).toHaveLength(0);
    expect(serverDirs()).toHaveLength(0);
  }, 240_000);

  it('refuses a second Hangar on the same data dir with a clear error', async () => {
    if (process.env.DATABASE_URL) return; // the lock guards the embedded database only
    const port = await freePort();
    const second = spawnHangar({ HANGAR_DATA_DIR: dataDir, DATABASE_URL: '' }, port);
    await expect(second.ready).rejects.toThrow(/Hangar is already running with data dir .* \(pid \d+\)/);
  });
});
