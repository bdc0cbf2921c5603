import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBalancer } from '../helpers/balancer.ts';
import { testDatabase } from '../helpers/db.ts';
import { freePort, spawnHangar, type HangarProcess } from '../helpers/process.ts';
import { killMatching, processesMatching } from '../helpers/procs.ts';

// Several replicas need the shared PostgreSQL: this file runs in the DATABASE_URL pass.
const pgOnly = process.env.DATABASE_URL ? describe : describe.skip;

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-replicas-'));
const replicas: { name: string; port: number; proc: HangarProcess; alive: boolean }[] = [];
let cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.proc.kill('SIGTERM').catch(() => {})));
  for (const c of cleanup) await c().catch(() => {});
  killMatching('agent.mjs', dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

pgOnly('three replicas on one PostgreSQL', () => {
  it('spread the work, keep one reconciler leader, route commands to the socket holder, and lose nothing when one dies', async () => {
    const db = await testDatabase('replicas');
    cleanup.push(db.drop);
    const lb = await startBalancer(() => replicas.filter((r) => r.alive).map((r) => r.port));
    cleanup.push(lb.close);
    const env = {
      // One shared data dir: the local provider's servers and the sealing key are shared, as a
      // cloud account and HANGAR_SECRET_KEY would be.
      HANGAR_DATA_DIR: dataDir,
      DATABASE_URL: db.url!,
      HANGAR_SECRET_KEY: randomBytes(32).toString('hex'),
      HANGAR_PUBLIC_URL: `http://127.0.0.1:${lb.port}`,
      HANGAR_HEARTBEAT_SECONDS: '1',
      HANGAR_POLL_SECONDS: '0.5',
      HANGAR_JOB_LEASE_SECONDS: '10',
      HANGAR_RECONCILE_SECONDS: '0',
    };
    let key: string | null = null;
    for (const name of ['r1', 'r2', 'r3']) {
      const port = await freePort();
      const proc = spawnHangar({ ...env, HANGAR_REPLICA_ID: name }, port);
      const printed = await proc.ready;
      key ??= printed;
      replicas.push({ name, port, proc, alive: true });
    }
    expect(key).toMatch(/^hgr_/);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${lb.port}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as object) } });
    const get = async (id: string) => (await (await api(`/v1/instances/${id}`)).json()) as { id: string; status: string; connection: string };
    const waitAll = async (ids: string[], pred: (i: { status: string; connection: string }) => boolean, ms = 90_000) => {
      await expect.poll(async () => (await Promise.all(ids.map(get))).every(pred), { timeout: ms, interval: 500 }).toBe(true);
    };
    const create = async (n: number, tag: string) =>
      Promise.all(Array.from({ length: n }, async (_, i) => ((await (await api('/v1/instances', { method: 'POST', body: JSON.stringify({ provider: 'local', name: `${tag} ${i}` }) })).json()) as { id: string }).id));

    // 1. Work spreads: 9 instances, created through the balancer, all running.
    const first = await create(9, 'spread');
    await waitAll(first, (i) => i.status === 'running' && i.connection === 'connected');
    const ranOn = new Set<string>();
    const heldBy = new Set<string>();
    for (const id of first) {
      const evs = ((await (await api(`/v1/instances/${id}/events`)).json()) as { items: { reason: string | null; data: { replica?: string } | null }[] }).items;
      const created = evs.find((e) => e.reason?.startsWith('server ') && e.reason.includes('created'));
      if (created?.data?.replica) ranOn.add(created.data.replica);
    }
    for (const r of replicas) {
      const res = await fetch(`http://127.0.0.1:${r.port}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      if (/hangar_agents_connected(?:\{[^}]*\})? [1-9]/.test(await res.text())) heldBy.add(r.name);
    }
    expect(ranOn.size, `create steps ran on ${[...ranOn]}`).toBeGreaterThanOrEqual(2);
    expect(heldBy.size, `agent sockets held by ${[...heldBy]}`).toBeGreaterThanOrEqual(2);

    // 2. One reconciler leader at a time: concurrent passes get 200 or 409, never two at once.
    const passes = await Promise.all(replicas.map((r) => fetch(`http://127.0.0.1:${r.port}/v1/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })));
    expect(passes.map((p) => p.status).every((s) => s === 200 || s === 409)).toBe(true);
    expect(passes.some((p) => p.status === 200)).toBe(true);

    // 3. Kill r2 mid-run, with provisions in flight: nothing is lost.
    const second = await create(6, 'survive');
    await new Promise((r) => setTimeout(r, 300));
    const r2 = replicas[1];
    await r2.proc.kill('SIGKILL');
    r2.alive = false;
    const all = [...first, ...second];
    await waitAll(all, (i) => i.status === 'running' && i.connection === 'connected', 120_000);
    for (const id of all) {
      // A create step killed with r2 is finished by a survivor once its lease runs out.
      let serverId: string | null = null;
      await expect.poll(async () => (serverId = ((await (await api(`/v1/instances/${id}`)).json()) as { serverId: string | null }).serverId), { timeout: 60_000, interval: 500 }).not.toBeNull();
      expect(processesMatching('--run', '--state-dir', join(dataDir, 'local-servers', serverId!)).length, `agent processes for ${id}`).toBe(1);
    }

    // 4. Destroy everything through the survivors: the shutdown command reaches whichever
    //    replica holds each agent's socket (the teardown step may run on the other one).
    await Promise.all(all.map((id) => api(`/v1/instances/${id}`, { method: 'DELETE' })));
    await waitAll(all, (i) => i.status === 'stopped', 120_000);
    let acked = 0;
    for (const id of all) {
      const evs = ((await (await api(`/v1/instances/${id}/events`)).json()) as { items: { reason: string | null }[] }).items;
      if (evs.some((e) => e.reason === 'agent stopped its workload')) acked++;
    }
    expect(acked).toBe(all.length);
    expect(processesMatching('agent.mjs', dataDir)).toEqual([]);
  }, 400_000);
});
