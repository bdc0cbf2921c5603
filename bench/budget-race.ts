/**
 * `npm run bench:budget` — the budget race: BUDGET_CREATES (default 50) concurrent creates at the
 * edge of a monthly cap, spread over BUDGET_REPLICAS (default 3) Hangar processes sharing one
 * PostgreSQL (DATABASE_URL, required), against the Hetzner emulator. The cap fits BUDGET_ALLOWED
 * (default 10) servers and a half; prints how many creates were accepted against what the cap
 * allows and exits 1 if the cap was ever exceeded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newInstanceCost } from '../src/domain/budget.ts';
import { startHetznerEmulator } from '../test/emulators/hetzner.ts';
import { testDatabase } from '../test/helpers/db.ts';
import { freePort, spawnHangar, type HangarProcess } from '../test/helpers/process.ts';

if (!process.env.DATABASE_URL) throw new Error('bench:budget needs the shared PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
const creates = Number(process.env.BUDGET_CREATES ?? 50);
const replicaCount = Number(process.env.BUDGET_REPLICAS ?? 3);
const allowed = Number(process.env.BUDGET_ALLOWED ?? 10);

const hz = await startHetznerEmulator({ boot: false, tokens: '*', bootDelayMs: 50, actionDelayMs: 20, rateLimit: false });
const db = await testDatabase('bench-budget');
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-budget-'));
const procs: HangarProcess[] = [];
try {
  const env = {
    HANGAR_DATA_DIR: dataDir,
    DATABASE_URL: db.url!,
    HANGAR_SECRET_KEY: randomBytes(32).toString('hex'),
    HANGAR_RECONCILE_SECONDS: '0',
    HANGAR_CONNECT_TIMEOUT_SECONDS: '3600',
    HETZNER_API_TOKEN: `hz-${randomUUID()}`,
    HCLOUD_ENDPOINT: hz.baseUrl,
  };
  const ports: number[] = [];
  let key: string | null = null;
  for (let i = 1; i <= replicaCount; i++) {
    const port = await freePort();
    const proc = spawnHangar({ ...env, HANGAR_REPLICA_ID: `r${i}` }, port);
    procs.push(proc);
    key ??= await proc.ready; // the first replica makes the installation and its key
    ports.push(port);
  }
  await Promise.all(procs.map((p) => p.ready));
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const types = (await (await fetch(`http://127.0.0.1:${ports[0]}/v1/providers/hetzner/server-types`, { headers })).json()) as { items: { name: string; prices: { location: string; hourly: number; monthly: number }[] }[] };
  const p = types.items.find((t) => t.name === 'cx23')!.prices.find((x) => x.location === 'nbg1')!;
  const cost = newInstanceCost({ hourly: p.hourly, monthly: p.monthly, currency: 'EUR' }, new Date());
  const cap = Math.round((allowed + 0.5) * cost * 100) / 100;
  const put = await fetch(`http://127.0.0.1:${ports[0]}/v1/budget`, { method: 'PUT', headers, body: JSON.stringify({ monthly: cap, currency: 'EUR' }) });
  if (put.status !== 200) throw new Error(`setting the budget answered ${put.status}: ${await put.text()}`);
  const t0 = Date.now();
  const statuses = await Promise.all(
    Array.from({ length: creates }, (_, i) =>
      fetch(`http://127.0.0.1:${ports[i % ports.length]}/v1/instances`, { method: 'POST', headers, body: JSON.stringify({ provider: 'hetzner', name: `race-${i}`, serverType: 'cx23', workload: 'process' }) }).then((r) => r.status),
    ),
  );
  const ms = Date.now() - t0;
  const accepted = statuses.filter((s) => s === 201).length;
  const refused = statuses.filter((s) => s === 402).length;
  const costs = (await (await fetch(`http://127.0.0.1:${ports[ports.length - 1]}/v1/costs`, { headers })).json()) as { budgets: { projected: number }[] };
  const projected = costs.budgets[0]?.projected ?? NaN;
  console.log(`hangar bench:budget: ${creates} concurrent creates on ${replicaCount} replicas (PostgreSQL), cap ${cap} EUR = ${allowed} × ${cost} EUR (+ half a server)`);
  console.log(`  accepted:   ${accepted} (the cap allows ${allowed})`);
  console.log(`  refused:    ${refused} (402)`);
  console.log(`  other:      ${statuses.length - accepted - refused}`);
  console.log(`  projected:  ${projected} EUR of ${cap} EUR`);
  console.log(`  wall time:  ${ms} ms for all ${creates} answers`);
  process.exitCode = accepted <= allowed && projected <= cap ? 0 : 1;
} finally {
  await Promise.all(procs.map((p) => p.kill('SIGTERM').catch(() => {})));
  await hz.stop();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
