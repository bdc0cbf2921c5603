/**
 * `npm run bench` — N concurrent provisions on the local provider (default 50, `BENCH_N`), then
 * N concurrent teardowns, against a real Hangar (PGlite, or PostgreSQL with DATABASE_URL).
 *
 * Prints per instance: wall time (request → running), agent time (the agent process's own part:
 * server created → enroll request, i.e. Node start + bundle load; and the workload's own start →
 * healthy), control-plane overhead = wall − agent time, as p50/p99; and transitions/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configFromEnv } from '../src/config.ts';
import type { EventRow } from '../src/engine/store.ts';
import { startHangar } from '../src/server.ts';

const N = Number(process.env.BENCH_N ?? 50);
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-'));
const config = configFromEnv(process.env, { dataDir, port: 0, dashboard: false, logLevel: 'warn', localProvider: 'on' });
const hangar = await startHangar(config, { logger: pino({ level: 'warn' }) });
const key = hangar.firstApiKey!;
const api = (path: string, init: RequestInit = {}) => fetch(`${hangar.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms`;

async function waitAll(ids: string[], status: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await Promise.all(ids.map((id) => hangar.engine.store.get(id)));
    const bad = rows.filter((r) => r.status === 'failed');
    if (bad.length) throw new Error(`${bad.length} failed: ${bad[0].failureReason}`);
    if (rows.every((r) => r.status === status)) return;
    if (Date.now() > deadline) {
      const stuck = rows.filter((r) => r.status !== status);
      const evs = await hangar.engine.store.events(stuck[0].id);
      throw new Error(`timeout: ${stuck.length} not ${status}; first: ${stuck[0].status}(${stuck[0].step})\n${evs.map((e) => `${e.kind} ${e.fromStatus}→${e.toStatus} ${e.reason}`).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}



/** Per-instance figures from the event log (the engine's own timestamps). */
async function analyse(ids: string[]) {
  const wall: number[] = [];
  const agent: number[] = [];
  const overhead: number[] = [];
  const teardown: number[] = [];
  let transitions = 0;
  const phases = new Map<string, number[]>();
  for (const id of ids) {
    const evs = await hangar.engine.store.events(id, { limit: 1000 });
    transitions += evs.filter((e) => e.kind === 'transition' || e.kind === 'connection').length;
    const created = evs[0].at.getTime();
    const marks = evs.filter((e) => e.kind === 'transition' || e.kind === 'connection');
    for (let i = 1; i < marks.length && marks[i].toStatus !== 'stopping'; i++) {
      const name = `${marks[i - 1].step ?? marks[i - 1].toStatus} → ${marks[i].step ?? marks[i].toStatus}`;
      phases.set(name, [...(phases.get(name) ?? []), marks[i].at.getTime() - marks[i - 1].at.getTime()]);
    }
    const running = at(evs, (e) => e.toStatus === 'running')!;
    const booted = at(evs, (e) => e.kind === 'transition' && e.step === 'boot')!;
    const enrolled = at(evs, (e) => e.kind === 'transition' && e.step === 'enroll')!;
    const workloadStart = at(evs, (e) => e.kind === 'transition' && e.step === 'workload')!;
    if ([running, booted, enrolled, workloadStart].some((x) => x === undefined)) {
      if (process.env.BENCH_PHASES) console.error(`incomplete path for ${id}:`, evs.filter((e) => e.kind === 'transition').map((e) => `${e.toStatus}/${e.step}`).join(' '));
      continue;
    }
    const agentPart = enrolled! - booted! + (running! - workloadStart!);
    wall.push(running - created);
    agent.push(agentPart);
    overhead.push(running - created - agentPart);
    const stopping = at(evs, (e) => e.toStatus === 'stopping')!;
    teardown.push(at(evs, (e) => e.toStatus === 'stopped')! - stopping);
  }
  return { wall, agent, overhead, teardown, transitions, phases };
}

const at = (evs: EventRow[], pred: (e: EventRow) => boolean) => evs.find(pred)?.at.getTime();

try {
  // Warm up once (agent bundle, JIT, first queries) so the figures are about steady state.
  const warm = await (await api('/v1/instances', { method: 'POST', body: JSON.stringify({ provider: 'local' }) })).json();
  await waitAll([warm.id], 'running', 60_000);
  await api(`/v1/instances/${warm.id}`, { method: 'DELETE' });
  await waitAll([warm.id], 'stopped', 60_000);

  // Uncontended: one at a time, so the agent processes do not compete for the CPU.
  const seq: string[] = [];
  for (let i = 0; i < 10; i++) {
    const inst = await (await api('/v1/instances', { method: 'POST', body: JSON.stringify({ provider: 'local', name: `seq ${i}` }) })).json();
    await waitAll([inst.id], 'running', 60_000);
    await api(`/v1/instances/${inst.id}`, { method: 'DELETE' });
    await waitAll([inst.id], 'stopped', 60_000);
    seq.push(inst.id);
  }
  const one = await analyse(seq);

  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const ids = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const res = await api('/v1/instances', { method: 'POST', body: JSON.stringify({ provider: 'local', name: `bench ${i}` }) });
      if (res.status !== 201) throw new Error(`create → ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }),
  );
  await waitAll(ids, 'running', 300_000);
  const upMs = Date.now() - t0;

  const t1 = Date.now();
  await Promise.all(ids.map((id) => api(`/v1/instances/${id}`, { method: 'DELETE' })));
  await waitAll(ids, 'stopped', 300_000);
  const downMs = Date.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  const db = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  console.log(`hangar bench: ${N} concurrent local provisions on ${db}, ${process.env.HANGAR_REPLICA_ID ?? 'one process'}`);
  const { wall, agent, overhead, teardown, transitions, phases } = await analyse(ids);
  console.log(`  one at a time (10): wall ${fmt(one.wall)}; agent ${fmt(one.agent)}; control-plane overhead ${fmt(one.overhead)}; teardown ${fmt(one.teardown)}`);
  console.log(`  ${N} at once on ${cpus().length} cores:`);
  console.log(`  all running after ${upMs} ms; all stopped after ${downMs} ms`);
  console.log(`  wall (request → running):          ${fmt(wall)}`);
  console.log(`  agent time (boot + workload start): ${fmt(agent)}`);
  console.log(`  control-plane overhead:             ${fmt(overhead)}`);
  console.log(`  teardown (stopping → stopped):      ${fmt(teardown)}`);
  console.log(`  transitions: ${transitions} in ${upMs + downMs} ms = ${((transitions * 1000) / (upMs + downMs)).toFixed(1)} transitions/s`);
  if (process.env.BENCH_PHASES) for (const [k, v] of phases) console.log(`    ${k.padEnd(34)} n=${String(v.length).padEnd(3)} ${fmt(v)}`);
  console.log(`  Hangar's own CPU for ${N} provisions + teardowns: ${cpuMs.toFixed(0)} ms = ${(cpuMs / N).toFixed(1)} ms per instance lifetime (the rest of the machine's 2 cores went to the ${N} agent processes)`);
  console.log(`  overhead share of wall time: p50 ${((pct(overhead, 50) / pct(wall, 50)) * 100).toFixed(0)}%`);
} finally {
  await hangar.stop();
  const local = hangar.engine.providers.get('local');
  if (local) for (const s of await local.findServers({})) await local.deleteServer(s.id);
  rmSync(dataDir, { recursive: true, force: true });
}
