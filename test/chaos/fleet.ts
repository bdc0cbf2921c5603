/**
 * Where a chaos run's servers live, and how to see them afterwards: the `local` provider (servers
 * are agent processes under Hangar's data dir) or an emulated cloud (Hetzner or DigitalOcean, plus
 * the emulated Tailscale tailnet, started in this process). runChaos (chaos.ts) drives Hangar the
 * same way for each and asks the fleet what is really out there.
 *
 * Agents booted by an in-process emulator are children of the test process, not of Hangar, so
 * they survive Hangar's SIGKILLs like real servers do.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createAgentBoot } from '../emulators/boot.ts';
import type { FaultConfig, Stats } from '../emulators/common.ts';
import { startDigitalOceanEmulator, type DigitalOceanEmulator } from '../emulators/digitalocean.ts';
import { startHetznerEmulator, type HetznerEmulator } from '../emulators/hetzner.ts';
import { startTailscaleEmulator, type TailscaleEmulator } from '../emulators/tailscale.ts';
import { killMatching, processesMatching } from '../helpers/procs.ts';

export type ChaosProvider = 'local' | 'hetzner' | 'digital-ocean';

/** Faults the emulated clouds inject into every API call Hangar makes (the Tailscale API is never faulted). */
export interface ChaosFaults {
  /** Fraction [0, 1] of calls answered with a 5xx. */
  error5xxRate: number;
  /** Fraction [0, 1] of calls answered with a forced 429. */
  rate429: number;
  /** Added latency per call, ms: fixed or [min, max]. */
  latencyMs: number | [number, number];
  /**
   * Fraction [0, 1] of the injected 5xx sent *after* the call was carried out (a create or delete
   * that happened, but whose answer was lost).
   */
  lostResponseRate: number;
}

/** The issue's fault run: 20% 5xx (half of them lost responses), 10% 429s, 20–250 ms latency. */
export const DEFAULT_CHAOS_FAULTS: ChaosFaults = { error5xxRate: 0.2, rate429: 0.1, latencyMs: [20, 250], lostResponseRate: 0.5 };

/** A live server carrying Hangar's instance label (Hetzner) or tag (DigitalOcean). */
export interface FleetServer {
  id: string;
  instance: string | null;
  /** Agent processes running for it. */
  agents: number;
}

/** What an instance row tells the fleet checks. */
export interface FleetInstance {
  id: string;
  status: string;
  serverName: string | null;
}

export interface Fleet {
  provider: ChaosProvider;
  /** Environment for the spawned Hangar (provider credentials and endpoints). */
  env: Record<string, string>;
  /** POST /v1/instances body for the k-th create. */
  createBody(k: number): Record<string, unknown>;
  /** Live servers of this run. */
  servers(): FleetServer[];
  /** Instances that ever had two servers alive at the same moment (from the cloud's creation history). */
  overlaps(): Map<string, string>;
  /** Leaks only the fleet can see: agents without a server, tailnet devices of dead instances. */
  extraLeaks(byServerName: Map<string, FleetInstance>): string[];
  /** One line of figures about the cloud (calls, injected faults), or null. */
  summary(): string | null;
  stop(): Promise<void>;
}

const DEAD = new Set(['stopped', 'failed']);

/** The `local` provider: server records under `<dataDir>/local-servers`, agents are real processes. */
export function localFleet(dataDir: string): Fleet {
  const serversDir = join(dataDir, 'local-servers');
  const records = () =>
    existsSync(serversDir)
      ? readdirSync(serversDir).flatMap((d) => {
          try {
            return [JSON.parse(readFileSync(join(serversDir, d, 'server.json'), 'utf8')) as { id: string; labels: Record<string, string> }];
          } catch {
            return [];
          }
        })
      : [];
  return {
    provider: 'local',
    env: {},
    createBody: (k) => ({ provider: 'local', name: `chaos ${k}` }),
    servers: () =>
      records().map((s) => ({ id: s.id, instance: s.labels['hangar.dev/instance'] ?? null, agents: processesMatching('--run', '--state-dir', join(serversDir, s.id)).length })),
    overlaps: () => new Map(),
    extraLeaks() {
      const ids = records().map((s) => s.id);
      return processesMatching('agent.mjs', dataDir)
        .filter((p) => {
          const dir = /--state-dir (\S+)/.exec(p.cmd)?.[1] ?? '';
          return !ids.some((id) => dir.endsWith(id));
        })
        .map((p) => `agent process ${p.pid} without a server record`);
    },
    summary: () => null,
    async stop() {
      killMatching('agent.mjs', dataDir);
    },
  };
}

function faultConfig(f: ChaosFaults | undefined, seed: number): Partial<FaultConfig> {
  if (!f) return { seed };
  return { seed, errorRate: f.error5xxRate, errorProcessedRate: f.error5xxRate > 0 ? f.lostResponseRate : 0, rateLimitRate: f.rate429, latencyMs: f.latencyMs };
}

/**
 * Hetzner or DigitalOcean emulator plus the Tailscale emulator, in process; instances are created
 * with `tailscale: true`. Every server's life is timed to the millisecond from the emulator's
 * events, so "two servers alive at once" is decided without the history's one-second resolution.
 */
export async function cloudFleet(provider: 'hetzner' | 'digital-ocean', o: { seed: number; faults?: ChaosFaults }): Promise<Fleet> {
  const ts: TailscaleEmulator = await startTailscaleEmulator({ keyPolicy: { singleUse: true, ephemeral: true, preauthorized: true, tagged: true } });
  const agents = createAgentBoot({ killAfterMs: 2000, tailnet: ts });
  const faults = faultConfig(o.faults, o.seed);
  const opts = { boot: agents, tokens: '*' as const, bootDelayMs: 100, actionDelayMs: 50, faults };
  const life = new Map<string, { instance: string | null; created: number; gone: number | null }>();
  let emu: HetznerEmulator | DigitalOceanEmulator;
  let live: () => { id: string; instance: string | null }[];
  let env: Record<string, string>;
  if (provider === 'hetzner') {
    const hz = await startHetznerEmulator(opts);
    emu = hz;
    const owner = (s: { labels: Record<string, string> }) => s.labels['hangar.dev/instance'] ?? null;
    hz.state.events.on('server:created', (s: { id: number; labels: Record<string, string> }) => life.set(String(s.id), { instance: owner(s), created: Date.now(), gone: null }));
    const gone = (s: { id: number }) => {
      const l = life.get(String(s.id));
      if (l && l.gone === null) l.gone = Date.now();
    };
    hz.state.events.on('server:deleted', gone);
    hz.state.events.on('server:vanished', gone);
    live = () => [...hz.state.servers.values()].map((s) => ({ id: String(s.id), instance: owner(s) }));
    env = { HETZNER_API_TOKEN: `hz-chaos-${randomUUID()}`, HCLOUD_ENDPOINT: hz.baseUrl };
  } else {
    const d = await startDigitalOceanEmulator(opts);
    emu = d;
    const owner = (x: { tags: string[] }) => x.tags.map((t) => /^hangar-instance-(.+)$/.exec(t)?.[1]).find(Boolean) ?? null;
    d.state.events.on('droplet:created', (x: { id: number; tags: string[] }) => life.set(String(x.id), { instance: owner(x), created: Date.now(), gone: null }));
    d.state.events.on('droplet:deleted', (x: { id: number }) => {
      const l = life.get(String(x.id));
      if (l && l.gone === null) l.gone = Date.now();
    });
    live = () => [...d.state.droplets.values()].map((x) => ({ id: String(x.id), instance: owner(x) }));
    env = { DIGITALOCEAN_TOKEN: `do-chaos-${randomUUID()}`, DIGITALOCEAN_API_URL: d.url };
  }
  const history = () => (provider === 'hetzner' ? (emu as HetznerEmulator).state.history : (emu as DigitalOceanEmulator).state.history);
  return {
    provider,
    env: { ...env, TAILSCALE_API_KEY: ts.token, TAILSCALE_BASE_URL: ts.baseUrl, TAILSCALE_TAILNET: '-', HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*' },
    createBody: (k) => ({ provider, name: `chaos ${k}`, workload: 'process', tailscale: true }),
    servers: () => live().map((s) => ({ ...s, agents: agents.processes.has(s.id) ? 1 : 0 })),
    overlaps() {
      const out = new Map<string, string>();
      const by = new Map<string, { id: string; created: number; gone: number }[]>();
      for (const h of history()) {
        if (!h.instance) continue;
        const l = life.get(String(h.id));
        // Fallback to the history's (second-resolution) timestamps if an event was missed.
        const created = l?.created ?? Date.parse(h.created);
        const gone = l ? (l.gone ?? Infinity) : h.deleted ? Date.parse(h.deleted) : Infinity;
        by.set(h.instance, [...(by.get(h.instance) ?? []), { id: String(h.id), created, gone }]);
      }
      for (const [inst, ss] of by) {
        for (let i = 0; i < ss.length; i++)
          for (let j = i + 1; j < ss.length; j++) {
            const [a, b] = [ss[i], ss[j]];
            if (a.created < b.gone && b.created < a.gone && !out.has(inst)) out.set(inst, `servers ${a.id} and ${b.id} alive at once (${ss.length} created in all)`);
          }
      }
      return out;
    },
    extraLeaks(byServerName) {
      const out: string[] = [];
      const ids = new Set(live().map((s) => s.id));
      for (const [id, p] of agents.processes) if (!ids.has(id)) out.push(`agent process ${p.pid} of deleted server ${id}`);
      for (const dev of ts.state.devices.values()) {
        const owner = byServerName.get(dev.hostname);
        if (!owner || DEAD.has(owner.status)) out.push(`tailnet device ${dev.id} (${dev.hostname}) left for ${owner ? `${owner.status} instance ${owner.id}` : 'no instance'}`);
      }
      return out;
    },
    summary() {
      const s: Stats = emu.stats();
      const created = history().length;
      return `${provider} emulator: ${s.requests} API calls, ${created} servers created, ${s.injected5xx} injected 5xx (${s.injected5xxProcessed} after the fact), ${s.forced429} forced 429s, ${s.rateLimited} bucket 429s; tailnet: ${ts.state.devices.size} devices left`;
    },
    async stop() {
      await emu.stop();
      await ts.stop();
      await Promise.all([...agents.processes.values()].map((p) => p.stop()));
    },
  };
}
