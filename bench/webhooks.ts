/**
 * `npm run bench:webhooks`: 10,000 events to 10 loopback endpoints through the real path (the
 * event-log trigger queues deliveries, the worker claims, signs and POSTs them; the receivers
 * verify every signature with `standardwebhooks`). Prints deliveries/s and the p50/p99 delivery
 * latency (event committed → receiver verified it), and the bare floor: raw HTTP POSTs/s to the
 * same receivers at the same concurrency.
 *
 * EVENTS (10000), ENDPOINTS (10), INSTANCES (100), CONCURRENCY (16); DATABASE_URL for PostgreSQL
 * (a database you can write; tables are created by the migrations), else an in-memory PGlite.
 */
import { request } from 'node:http';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/db/client.ts';
import { Webhooks } from '../src/engine/webhooks/webhooks.ts';

const EVENTS = Number(process.env.EVENTS ?? 10_000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const INSTANCES = Number(process.env.INSTANCES ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const secrets = new Map<string, Webhook>();
const latencies: number[] = [];
let verified = 0;
let bad = 0;
let floorHits = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = req.url ?? '/';
    if (path === '/floor') {
      floorHits++;
      return res.writeHead(204).end();
    }
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const p = secrets.get(path)!.verify(body, req.headers as Record<string, string>) as { timestamp: string };
      verified++;
      latencies.push(Date.now() - Date.parse(p.timestamp));
    } catch {
      bad++;
    }
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

const database = await openDatabase({ url: process.env.DATABASE_URL });
const webhooks = new Webhooks({ db: database.db, secretKey: randomBytes(32), policy: { allowHttp: true, allowPrivate: true }, log: pino({ level: 'warn' }), pollMs: 200, concurrency: CONCURRENCY });

// Endpoint i receives the events of type instance.bench_i: EVENTS events, EVENTS deliveries.
for (let i = 0; i < ENDPOINTS; i++) {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const ep = await webhooks.store.createEndpoint({ project: 'default', url: `http://127.0.0.1:${port}/ep${i}`, events: [`instance.bench_${i}`], format: 'standard', secret, createdBy: 'bench' });
  secrets.set(`/ep${i}`, new Webhook(secret));
  void ep;
}
const ids = (await database.executeSql(`INSERT INTO instances (name, server_name, provider, workload, labels) SELECT 'bench-' || g, 'hangar-bench-' || g, 'local', 'process', '{}' FROM generate_series(1, ${INSTANCES}) g RETURNING id`)).rows.map((r: { id: string }) => r.id);

webhooks.start();
const started = performance.now();
const BATCH = 200;
for (let n = 0; n < EVENTS; n += BATCH) {
  const values = Array.from({ length: Math.min(BATCH, EVENTS - n) }, (_, k) => {
    const i = n + k;
    return `('${ids[i % ids.length]}', 'bench', 'transition', 'running', 'bench_${i % ENDPOINTS}')`;
  });
  await database.executeSql(`INSERT INTO instance_events (instance_id, actor, kind, from_status, to_status) VALUES ${values.join(',')}`);
  webhooks.kick();
}
const inserted = performance.now();
while (verified + bad < EVENTS) {
  if (performance.now() - started > 600_000) throw new Error(`only ${verified} of ${EVENTS} deliveries after 10 minutes`);
  await new Promise((r) => setTimeout(r, 50));
}
const seconds = (performance.now() - started) / 1000;
await webhooks.stop();
latencies.sort((a, b) => a - b);

// The floor: the same number of bare POSTs at the same concurrency, no database, no signing.
const floorStart = performance.now();
let sent = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (sent < EVENTS) {
      sent++;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/floor', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end('{"type":"floor"}');
      });
    }
  }),
);
const floorSeconds = (performance.now() - floorStart) / 1000;

console.log(`database: ${database.kind}; ${EVENTS} events to ${ENDPOINTS} loopback endpoints (${INSTANCES} instances, ${CONCURRENCY} attempts in flight)`);
console.log(`events written in ${((inserted - started) / 1000).toFixed(1)} s; all delivered and verified in ${seconds.toFixed(1)} s (${bad} failed verification)`);
console.log(`deliveries/s: ${(verified / seconds).toFixed(0)}`);
console.log(`delivery latency (event committed → verified): p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`);
console.log(`floor: raw HTTP POSTs/s on this machine (same concurrency, new connection each): ${(floorHits / floorSeconds).toFixed(0)}`);
await database.close();
server.close();
