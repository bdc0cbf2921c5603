/**
 * The chaos run: provisions and teardowns of many instances while the Hangar process is killed
 * with SIGKILL at seeded random moments and restarted each time. Afterwards (and after one
 * reconciler pass) it checks Hangar's promises and returns the figures:
 * kills survived, instances, duplicates, leaks, stuck, stalled, illegal paths (all but the first two must be 0).
 *
 * Used by `npm run chaos` (bench/chaos.ts, 100+ kills) and by a seeded CI subset
 * (test/chaos/chaos.test.ts). The `local` provider's servers are real agent processes, so a
 * leak is a process left running and a duplicate is two of them for one instance. With
 * `provider: 'hetzner' | 'digital-ocean'` the servers live in the in-process cloud emulators
 * (optionally injecting `faults`), instances join the emulated tailnet, and the emulator's state
 * and creation history are the ground truth (see fleet.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayProblem } from '../../src/domain/lifecycle.ts';
import { freePort, spawnHangar, type HangarProcess } from '../helpers/process.ts';
import { cloudFleet, localFleet, type ChaosFaults, type ChaosProvider, type Fleet } from './fleet.ts';

export { DEFAULT_CHAOS_FAULTS, type ChaosFaults, type ChaosProvider } from './fleet.ts';

export interface ChaosOptions {
  kills: number;
  seed: number;
  /** PostgreSQL URL; embedded PGlite when unset. */
  databaseUrl?: string;
  /** Most instances alive at once (agents are real processes on 2 cores). */
  maxLive?: number;
  log?: (line: string) => void;
  /** Where servers are made (default `local`). */
  provider?: ChaosProvider;
  /** Faults the emulated cloud injects (cloud providers only). */
  faults?: ChaosFaults;
}

export interface ChaosResult {
  kills: number;
  instances: number;
  duplicates: number;
  leaks: number;
  stuck: number;
  /** Non-terminal 120 s after the last kill (past every connect timeout), before the reconciler pass. */
  stalled: number;
  illegalPaths: number;
  problems: string[];
  seconds: number;
  provider: ChaosProvider;
  /** The emulated cloud's figures (calls, injected faults), for cloud runs. */
  cloud: string | null;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Inst {
  id: string;
  status: string;
  step: string | null;
  serverId: string | null;
  serverName: string | null;
  connectTimeoutSeconds: number;
  createdAt: string;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const rand = prng(o.seed);
  const maxLive = o.maxLive ?? 6;
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-chaos-'));
  const port = await freePort();
  const provider = o.provider ?? 'local';
  if (provider === 'local' && o.faults) throw new Error('faults need an emulated cloud provider');
  const fleet: Fleet = provider === 'local' ? localFleet(dataDir) : await cloudFleet(provider, { seed: o.seed, faults: o.faults });
  const env = {
    ...fleet.env,
    HANGAR_DATA_DIR: dataDir,
    DATABASE_URL: o.databaseUrl ?? '',
    HANGAR_HEARTBEAT_SECONDS: '1',
    HANGAR_POLL_SECONDS: '0.5',
    HANGAR_CONNECT_TIMEOUT_SECONDS: '60',
    HANGAR_RECONCILE_SECONDS: '0',
    HANGAR_ORPHAN_GRACE_SECONDS: '0',
    // On PostgreSQL a step killed mid-run is retried when its lease expires (embedded mode
    // recovers it at start): keep the lease short so a run settles in minutes, not hours.
    HANGAR_JOB_LEASE_SECONDS: '15',
  };
  let proc: HangarProcess | null = null;
  try {
    proc = spawnHangar(env, port);
    const key = (await proc.ready)!;
    const api = async (path: string, init: RequestInit = {}) =>
      fetch(`${proc!.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as object) } });
    const ids: string[] = [];
    const deleted = new Set<string>();
    let kills = 0;
    for (let k = 0; k < o.kills; k++) {
      // Some work in flight: create while under the cap, delete a random live one sometimes.
      const live = ids.filter((i) => !deleted.has(i));
      const ops: Promise<unknown>[] = [];
      if (live.length < maxLive) {
        ops.push(
          api('/v1/instances', { method: 'POST', headers: { 'idempotency-key': `chaos-${o.seed}-${k}` }, body: JSON.stringify(fleet.createBody(k)) })
            .then(async (r) => (r.status === 201 || r.status === 200 ? ids.push(((await r.json()) as { id: string }).id) : null))
            .catch(() => null),
        );
      }
      if (live.length && (live.length >= maxLive || rand() < 0.4)) {
        const victim = live[Math.floor(rand() * live.length)];
        deleted.add(victim);
        ops.push(api(`/v1/instances/${victim}`, { method: 'DELETE' }).catch(() => null));
      }
      // Kill at a seeded moment: sometimes mid-request, mostly mid-step.
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 1500)));
      await proc.kill('SIGKILL');
      kills++;
      await Promise.allSettled(ops);
      proc = spawnHangar(env, port);
      await proc.ready;
      log(`kill ${kills}/${o.kills} at ${Math.round((Date.now() - t0) / 1000)}s: ${ids.length} instances, ${deleted.size} deleted`);
    }
    // A DELETE lost to a kill may never have reached the server: ask again (idempotent).
    for (const id of deleted) await api(`/v1/instances/${id}`, { method: 'DELETE' });

    // Every instance Hangar knows, including ones whose create response a kill swallowed.
    const all = async (): Promise<Inst[]> => {
      const out: Inst[] = [];
      let cursor: string | null = null;
      do {
        const page = (await (await api(`/v1/instances?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { items: Inst[]; nextCursor: string | null };
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };
    // Let everything settle (every instance is past its connect timeout by the end), then one
    // reconciler pass, then let what it resumed settle too.
    const isSettled = (r: Inst) => (deleted.has(r.id) ? r.status === 'stopped' : r.status === 'running' || r.status === 'stopped' || r.status === 'failed');
    const settle = async (ms: number, what: string): Promise<Inst[]> => {
      const t = Date.now();
      let rs: Inst[] = [];
      while (Date.now() < t + ms) {
        rs = await all();
        if (rs.every(isSettled)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      log(`${what} in ${Math.round((Date.now() - t) / 1000)}s: ${Object.entries(rs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {})).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      return rs;
    };
    // Non-terminal with nothing left to drive it: the engine alone did not finish these; only the
    // reconciler pass can (reported as `stalled`, a failure like stuck).
    const stalledRows = (await settle(120_000, 'settled')).filter((r) => !isSettled(r));
    const rec = await api('/v1/reconcile', { method: 'POST' });
    if (rec.status !== 200) throw new Error(`reconcile → ${rec.status} ${await rec.text()}`);
    let rows = await settle(60_000, 'after the reconciler pass');
    await new Promise((r) => setTimeout(r, 500));
    rows = await all();

    // The promises.
    const problems: string[] = [];
    const servers = fleet.servers();
    const overlaps = fleet.overlaps();
    let duplicates = 0;
    let leaks = 0;
    let stuck = 0;
    let illegalPaths = 0;
    const stalled = stalledRows.length;
    for (const r of stalledRows) problems.push(`${r.id}: stalled in ${r.status}(${r.step ?? '-'})${deleted.has(r.id) ? ' after delete' : ''} until the reconciler pass, 120s after the last kill`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of rows) {
      const mine = servers.filter((s) => s.instance === r.id);
      const agents = mine.reduce((n, s) => n + s.agents, 0);
      if (mine.length > 1 || agents > 1 || overlaps.has(r.id)) {
        duplicates++;
        problems.push(`${r.id}: ${mine.length} servers, ${agents} agent processes${overlaps.has(r.id) ? `; ${overlaps.get(r.id)}` : ''}`);
      }
      const settled = deleted.has(r.id) ? r.status === 'stopped' : ['running', 'stopped', 'failed'].includes(r.status);
      if (!settled) {
        stuck++;
        problems.push(`${r.id}: ${r.status}(${r.step ?? '-'})${deleted.has(r.id) ? ' after delete' : ''}`);
      }
      const evs = ((await (await api(`/v1/instances/${r.id}/events?limit=1000`)).json()) as { items: { kind: string; from: string | null; to: string | null; step: string | null; reason?: string; at?: string }[] }).items;
      // A stuck instance's story, for the report (events come newest first or oldest first: print as listed).
      if (!settled || stalledRows.some((x) => x.id === r.id)) problems.push(`${r.id} events: ${evs.map((e) => `[${e.at ?? ''} ${e.kind} ${e.from ?? ''}→${e.to ?? ''} ${e.step ?? ''} ${(e.reason ?? '').slice(0, 120)}]`).join(' ')}`);
      const bad = replayProblem(evs.filter((e) => e.kind === 'transition'));
      if (bad) {
        illegalPaths++;
        problems.push(`${r.id}: illegal path: ${bad}`);
      }
    }
    // Overlaps of instances Hangar does not list at all are duplicates too.
    for (const [inst, why] of overlaps) {
      if (byId.has(inst)) continue;
      duplicates++;
      problems.push(`${inst} (unknown instance): ${why}`);
    }
    for (const s of servers) {
      const owner = s.instance ? byId.get(s.instance) : undefined;
      if (!owner || owner.status === 'stopped' || owner.status === 'failed') {
        leaks++;
        problems.push(`server ${s.id} left for ${owner ? `${owner.status} instance` : 'no instance'} ${s.instance}`);
      }
    }
    const byServerName = new Map(rows.filter((r) => r.serverName).map((r) => [r.serverName!, r]));
    for (const l of fleet.extraLeaks(byServerName)) {
      leaks++;
      problems.push(l);
    }
    return { kills, instances: rows.length, duplicates, leaks, stuck, stalled, illegalPaths, problems, seconds: Math.round((Date.now() - t0) / 1000), provider, cloud: fleet.summary() };
  } finally {
    await proc?.kill('SIGTERM').catch(() => {});
    await fleet.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}
