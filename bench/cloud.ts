/**
 * `node --import tsx bench/cloud.ts` — Hangar against the Hetzner, DigitalOcean and Tailscale
 * emulators (test/emulators), on this machine. Prints:
 *
 * 1. Provider calls per instance lifetime (provision → running → destroy → stopped, with
 *    Tailscale on), per cloud and per route, from the emulators' own call counters.
 * 2. The same under injected 5xx (`BENCH_FAULT_RATE`, default 0.2, half of them after the request
 *    was carried out): how many reached running, servers per instance, extra calls.
 * 3. A burst of `BENCH_BURST` (200) concurrent `createServer` calls against a Hetzner emulator
 *    limited to 3600/h (`BENCH_REFILL` 1/s) with a bucket of `BENCH_BUCKET` (100): its 429s and
 *    its time against the bucket's theoretical bound, (burst − bucket) / refill. At the provider
 *    level (no agents): 200 agent processes are too heavy for a 2-core machine.
 *
 * Knobs: BENCH_CLOUD_N (instances per cloud, default 3), BENCH_SKIP_BURST=1, BENCH_UNGOVERNED=1
 * (also run the burst with the governor off, to show the limit is real).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configFromEnv } from '../src/config.ts';
import { LABEL_INSTALLATION, LABEL_INSTANCE } from '../src/domain/names.ts';
import { HetznerProvider } from '../src/providers/hetzner.ts';
import { providersFromEnv } from '../src/wiring/registry.ts';
import { startHangar } from '../src/server.ts';
import { createAgentBoot } from '../test/emulators/boot.ts';
import { duplicateOwners, type EmulatorControls } from '../test/emulators/common.ts';
import { startDigitalOceanEmulator } from '../test/emulators/digitalocean.ts';
import { startHetznerEmulator } from '../test/emulators/hetzner.ts';
import { startTailscaleEmulator } from '../test/emulators/tailscale.ts';

const N = Number(process.env.BENCH_CLOUD_N ?? 3);
const FAULT_RATE = Number(process.env.BENCH_FAULT_RATE ?? 0.2);
const BURST = Number(process.env.BENCH_BURST ?? 200);
const BUCKET = Number(process.env.BENCH_BUCKET ?? 100);
const REFILL = Number(process.env.BENCH_REFILL ?? 1);

type Cloud = 'hetzner' | 'digital-ocean';
const CLOUDS: Cloud[] = ['hetzner', 'digital-ocean'];

const ts = await startTailscaleEmulator({ keyPolicy: { singleUse: true, ephemeral: true, preauthorized: true, tagged: true } });
const agents = createAgentBoot({ killAfterMs: 2000, tailnet: ts });
const hz = await startHetznerEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
const dO = await startDigitalOceanEmulator({ boot: agents, tokens: '*', bootDelayMs: 100, actionDelayMs: 50 });
const emu: Record<Cloud, EmulatorControls> = { hetzner: hz, 'digital-ocean': dO };
const reg = providersFromEnv({
  HETZNER_API_TOKEN: `bench-${randomUUID()}`,
  HCLOUD_ENDPOINT: hz.baseUrl,
  DIGITALOCEAN_API_TOKEN: `bench-${randomUUID()}`,
  DIGITALOCEAN_API_URL: dO.url,
  TAILSCALE_API_KEY: ts.token,
  TAILSCALE_BASE_URL: ts.baseUrl,
  HANGAR_ALLOWED_ENDPOINTS: 'http://127.0.0.1:*', // the emulators
});
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-cloud-'));
// The reconciler is off: its periodic listing (one per provider per pass, every 300 s by
// default) is not part of an instance's lifetime.
const config = configFromEnv(process.env, { dataDir, port: 0, dashboard: false, logLevel: 'warn', heartbeatSeconds: 2, pollSeconds: 0.2, reconcileSeconds: 0 });
const hangar = await startHangar(config, { logger: pino({ level: 'warn' }), providers: reg.providers, tailnet: reg.tailnet });
const key = hangar.firstApiKey!;
const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(`${hangar.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: init.json === undefined ? undefined : JSON.stringify(init.json) });

const delta = (a: Record<string, number>, b: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) if (v - (a[k] ?? 0) > 0) out[k] = v - (a[k] ?? 0);
  return out;
};
const sum = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0);
const perInstance = (o: Record<string, number>, n: number) => Object.entries(o).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ');

async function waitAll(ids: string[], done: (s: string) => boolean, timeoutMs: number): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await Promise.all(ids.map((id) => hangar.engine.store.get(id)));
    if (rows.every((r) => done(r.status)) || Date.now() > deadline) return new Map(rows.map((r) => [r.id, r.status]));
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Provision N instances per cloud, wait for running, destroy, wait for stopped; count calls. */
async function lifetimes(label: string): Promise<void> {
  const before = { hetzner: hz.calls(), 'digital-ocean': dO.calls(), tailscale: ts.calls() };
  const insts: { id: string; cloud: Cloud }[] = [];
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    for (const cloud of CLOUDS) {
      const res = await api('/v1/instances', { method: 'POST', json: { provider: cloud, name: `bench ${label.replace(/[^A-Za-z0-9 ]+/g, "").slice(0, 20)} ${i}`, workload: 'process', tailscale: true } });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      insts.push({ id: ((await res.json()) as { id: string }).id, cloud });
    }
  }
  const ids = insts.map((x) => x.id);
  const up = await waitAll(ids, (s) => s === 'running' || s === 'failed', 300_000);
  const tUp = Date.now() - t0;
  const running = [...up.values()].filter((s) => s === 'running').length;
  const owners = new Set(ids);
  const dupes = Object.keys({ ...duplicateOwners(hz.state.history), ...duplicateOwners(dO.state.history) }).filter((k) => owners.has(k)).length;
  const serversMade = [...hz.state.history, ...dO.state.history].filter((x) => owners.has(x.instance ?? '')).length;
  for (const id of ids) await api(`/v1/instances/${id}`, { method: 'DELETE' });
  const down = await waitAll(ids, (s) => s === 'stopped' || s === 'failed', 300_000);
  const stopped = [...down.values()].filter((s) => s === 'stopped').length;

  console.log(`\n## ${label}: ${insts.length} instances (${N} per cloud), Tailscale on`);
  console.log(`running ${running}/${insts.length} in ${(tUp / 1000).toFixed(1)} s; stopped ${stopped}/${insts.length}; servers created ${serversMade} (instances with two servers: ${dupes})`);
  for (const cloud of CLOUDS) {
    const d = delta(before[cloud], emu[cloud].calls());
    console.log(`${cloud}: ${(sum(d) / N).toFixed(2)} calls per lifetime — ${perInstance(d, N)}`);
  }
  const t = delta(before.tailscale, ts.calls());
  console.log(`tailscale: ${(sum(t) / insts.length).toFixed(2)} calls per lifetime — ${perInstance(t, insts.length)}`);
}

async function burst(governed: boolean): Promise<void> {
  const b = await startHetznerEmulator({ boot: false, tokens: '*', rateLimit: { capacity: BUCKET, refillPerSecond: REFILL } });
  try {
    // All calls queue at once, so the per-call deadline is off (the engine runs four provision
    // steps at a time per process; its calls never queue that long).
    const rest = governed ? { deadlineMs: 0 } : { deadlineMs: 0, rateLimit: null, maxRateLimitRetries: 1000, backoff: { baseMs: 500, maxMs: 5000 } };
    const p = new HetznerProvider({ token: `burst-${randomUUID()}`, baseUrl: b.baseUrl, rest });
    const t0 = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: BURST }, (_, i) => p.createServer({ name: `hangar-burst-${i}`, labels: { [LABEL_INSTALLATION]: 'bench', [LABEL_INSTANCE]: `b${i}` }, userData: '#cloud-config\n' })),
    );
    const secs = (Date.now() - t0) / 1000;
    const bound = Math.max(0, BURST - BUCKET) / REFILL;
    const failed = results.filter((r) => r.status === 'rejected').length;
    console.log(`\n## burst, governor ${governed ? 'on' : 'OFF'}: ${BURST} concurrent creates, Hetzner emulator at ${REFILL * 3600}/h with a bucket of ${BUCKET}`);
    console.log(`429s: ${b.stats().rateLimited}; failed calls: ${failed}; servers: ${b.state.servers.size}; requests sent: ${b.stats().requests}`);
    console.log(`time ${secs.toFixed(1)} s vs theoretical bound ${bound.toFixed(1)} s ((${BURST} − ${BUCKET}) / ${REFILL}/s) = ${(secs / Math.max(bound, 1e-9)).toFixed(3)}×`);
  } finally {
    await b.stop();
  }
}

try {
  await lifetimes('happy path');
  if (FAULT_RATE > 0) {
    for (const e of [hz, dO]) e.setFaults({ seed: 64, errorRate: FAULT_RATE, errorProcessedRate: 0.5 });
    await lifetimes(`${Math.round(FAULT_RATE * 100)}% injected 5xx`);
    console.log(`injected 5xx: hetzner ${hz.stats().injected5xx} (${hz.stats().injected5xxProcessed} after carrying out), digital-ocean ${dO.stats().injected5xx} (${dO.stats().injected5xxProcessed})`);
    for (const e of [hz, dO]) e.clearFaults();
  }
  if (process.env.BENCH_SKIP_BURST !== '1') {
    await burst(true);
    if (process.env.BENCH_UNGOVERNED === '1') await burst(false);
  }
} finally {
  await hangar.stop();
  await hz.stop();
  await dO.stop();
  await ts.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
