/**
 * `npm run bench:update` — time to move N local agents (default 50, `BENCH_N`) to a new signed
 * release after approval, and back after a broken one, against a real Hangar (PGlite, or
 * PostgreSQL with DATABASE_URL). Real agents under their real supervisors.
 *
 * Prints: provisioning time for the fleet; after `approve 2.0.0`, time until every agent runs
 * 2.0.0 and the supervisors committed it (p50/p99 per agent, and for the whole fleet); after a
 * broken `approve 3.0.0` (crashes at start), time until every agent is back on 2.0.0, connected
 * and healthy; the number of agents that ended on the wrong version (should be 0).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { bundleAgent } from '../src/build/agent-bundle.ts';
import { configFromEnv } from '../src/config.ts';
import { newReleaseKey, signRelease } from '../src/domain/releases.ts';
import { startHangar } from '../src/server.ts';

const N = Number(process.env.BENCH_N ?? 50);
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-update-'));
const key = newReleaseKey();
const config = configFromEnv(process.env, { dataDir, port: 0, dashboard: false, logLevel: 'warn', releaseKeys: [key.publicKey], updateCheckSeconds: 3600, updateTrialSeconds: 120, smokeIntervalSeconds: 0, localProvider: 'on' });
const hangar = await startHangar(config, { logger: pino({ level: 'warn' }) });
const apiKey = hangar.firstApiKey!;
const api = (path: string, body?: unknown) =>
  fetch(`${hangar.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const store = hangar.engine.store;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function until(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - t0;
}
const rows = () => Promise.all(ids.map((id) => store.get(id)));
const fleetOn = (v: string) => async () => (await rows()).every((r) => r.agentVersion === v && r.connection === 'connected' && r.workloadHealthy === true);
async function publish(version: string, bundle: Buffer) {
  const res = await api('/v1/agent-releases', { version, bundle: bundle.toString('base64'), signature: signRelease(bundle, version, key.privateKeyPem) });
  if (res.status !== 201) throw new Error(`publish ${version}: ${res.status} ${await res.text()}`);
}
/** Per agent: approval → the supervisor's outcome event for `version`. */
async function outcomeTimes(version: string, phase: string, since: number): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) {
    const ev = (await store.events(id, { limit: 2000 })).find((e) => (e.data as { update?: string; version?: string } | null)?.update === phase && (e.data as { version?: string }).version === version);
    if (ev) out.push(ev.at.getTime() - since);
  }
  return out;
}

const ids: string[] = [];
let t: number;
for (let i = 0; i < N; i++) {
  const res = await api('/v1/instances', { provider: 'local', name: `upd-${i}` });
  ids.push(((await res.json()) as { id: string }).id);
}
const provisionMs = await until('fleet running', async () => (await rows()).every((r) => r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true), 600_000);
console.log(`fleet: ${N} local agents running and healthy in ${provisionMs} ms`);

const v2 = join(dataDir, 'agent-2.0.0.mjs');
await bundleAgent(v2, '2.0.0');
await publish('2.0.0', readFileSync(v2));
t = Date.now();
await api('/v1/agent-releases/2.0.0/approve', {});
const updateMs = await until('fleet on 2.0.0', fleetOn('2.0.0'), 600_000);
// Each supervisor's commit reaches Hangar with its agent's next status tick.
await until('every commit reported', async () => (await outcomeTimes('2.0.0', 'committed', t)).length === N, 60_000);
const commits = await outcomeTimes('2.0.0', 'committed', t);
console.log(`update 0.1.0 → 2.0.0: ${N} agents on 2.0.0, connected and healthy ${updateMs} ms after approval; per agent commit p50 ${pct(commits, 50)} ms, p99 ${pct(commits, 99)} ms (${commits.length}/${N} committed)`);

const v3 = join(dataDir, 'agent-3.0.0.mjs');
writeFileSync(v3, "process.stderr.write('3.0.0: fatal\\n'); process.exit(1);\n");
await publish('3.0.0', readFileSync(v3));
t = Date.now();
await api('/v1/agent-releases/3.0.0/approve', {});
const rollbackMs = await until('fleet rolled back', async () => (await outcomeTimes('3.0.0', 'rolled-back', t)).length === N && (await fleetOn('2.0.0')()), 600_000);
const rollbacks = await outcomeTimes('3.0.0', 'rolled-back', t);
const wrong = (await rows()).filter((r) => r.agentVersion !== '2.0.0').length;
console.log(`broken 3.0.0: ${rollbacks.length}/${N} rolled back; fleet back on 2.0.0 and healthy ${rollbackMs} ms after approval; per agent rollback p50 ${pct(rollbacks, 50)} ms, p99 ${pct(rollbacks, 99)} ms; agents on a wrong version: ${wrong}`);

for (const id of ids) await fetch(`${hangar.url}/v1/instances/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${apiKey}` } });
await until('fleet stopped', async () => (await rows()).every((r) => r.status === 'stopped'), 300_000);
await hangar.stop();
process.exit(0);
