/**
 * `npm run bench:lifetimes` — how late the durable lifetime timer fires, against the timer's
 * tick (the job queue's polling interval, HANGAR_POLL_SECONDS), on a real Hangar (PGlite, or
 * PostgreSQL with DATABASE_URL) with real local agents.
 *
 * N instances (default 6, `BENCH_N`) get a TTL of a few seconds and N get an idle stop of a few
 * seconds (the local demo workload reports no activity, so each idles out from running). Error
 * per instance: the firing transition's time minus its deadline (expiresAt, or idleStopAt).
 * Goal: every error < 1 tick.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configFromEnv } from '../src/config.ts';
import { idleDeadline } from '../src/domain/lifetimes.ts';
import { startHangar } from '../src/server.ts';

const N = Number(process.env.BENCH_N ?? 6);
const tick = Number(process.env.HANGAR_POLL_SECONDS ?? 1);
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-lifetimes-'));
const config = configFromEnv(process.env, { dataDir, port: 0, dashboard: false, logLevel: 'warn', smokeIntervalSeconds: 0, localProvider: 'on', localCommands: true, pollSeconds: tick, heartbeatSeconds: 1, reconcileSeconds: 0 });
const hangar = await startHangar(config, { logger: pino({ level: 'warn' }) });
const apiKey = hangar.firstApiKey!;
const store = hangar.engine.store;
const api = (path: string, body?: unknown) =>
  fetch(`${hangar.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function until(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function create(extra: Record<string, unknown>): Promise<string> {
  const res = await api('/v1/instances', { provider: 'local', workload: 'process', ...extra });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Seconds between the deadline and the transition that acted on it (event kind in its data). */
async function errors(ids: string[], kind: 'ttl_expired' | 'idle_stop', deadlineOf: (id: string) => Date): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) {
    const ev = (await store.events(id)).find((e) => (e.data as { kind?: string } | null)?.kind === kind);
    if (!ev) throw new Error(`${id}: no ${kind} event`);
    out.push((ev.at.getTime() - deadlineOf(id).getTime()) / 1000);
  }
  return out;
}

try {
  // Idle: each idles out `idle` seconds after it runs. TTL: long enough to reach running first.
  const idleIds: string[] = [];
  const ttlIds: string[] = [];
  for (let i = 0; i < N; i++) idleIds.push(await create({ name: `idle-${i}`, idleStop: 4 + (i % 3) }));
  for (let i = 0; i < N; i++) ttlIds.push(await create({ name: `ttl-${i}`, ttl: 20 + i }));
  await until('idle instances stopped', async () => (await Promise.all(idleIds.map((id) => store.get(id)))).every((r) => r.status === 'hibernated' || r.status === 'failed'), 120_000);
  // The deadline as the row had it while running (a stop leaves last_active_at and running_at as they were).
  const idleDeadlines = new Map((await Promise.all(idleIds.map((id) => store.get(id)))).map((r) => [r.id, idleDeadline({ ...r, status: 'running' })!]));
  const ttlRows = new Map((await Promise.all(ttlIds.map((id) => store.get(id)))).map((r) => [r.id, r.expiresAt!]));
  await until('TTL instances destroyed', async () => (await Promise.all(ttlIds.map((id) => store.get(id)))).every((r) => r.status === 'stopped'), 120_000);
  const idle = await errors(idleIds, 'idle_stop', (id) => idleDeadlines.get(id)!);
  const ttl = await errors(ttlIds, 'ttl_expired', (id) => ttlRows.get(id)!);
  const line = (name: string, xs: number[]) => `${name.padEnd(10)} n=${xs.length} error p50 ${pct(xs, 50).toFixed(3)}s p99 ${pct(xs, 99).toFixed(3)}s max ${Math.max(...xs).toFixed(3)}s min ${Math.min(...xs).toFixed(3)}s (tick ${tick}s; goal max < 1 tick: ${Math.max(...xs) < tick ? 'met' : 'MISSED'})`;
  console.log(`database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`);
  console.log(line('idle stop', idle));
  console.log(line('ttl', ttl));
} finally {
  for (const r of await store.byStatus(['pending', 'provisioning', 'running', 'hibernating', 'hibernated'])) await hangar.engine.destroy(r.id, 'bench').catch(() => {});
  await until('all stopped', async () => (await store.byStatus(['stopping'])).length === 0, 60_000).catch(() => {});
  await hangar.stop();
}
