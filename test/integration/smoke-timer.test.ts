/**
 * The smoke timer on a real Hangar with real agents (local provider), its interval cut to 2 s:
 * a healthy instance passes, one whose workload answers 503 fails; the failure shows in the
 * status (API and `hangar status`) and in /metrics; several timers on one queue (as several
 * replicas would run) still smoke each instance once per period.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config.ts';
import { AgentOps } from '../../src/engine/ops.ts';
import { SMOKE_TIMER_ACTOR, SmokeTimer } from '../../src/engine/smoke.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

const INTERVAL = 2;
/** A process workload that answers 503 while `flag` exists: a workload broken after it came up. */
const TOGGLE = "const [port, flag] = process.argv.slice(1); require('http').createServer((q, s) => { const bad = require('fs').existsSync(flag); s.writeHead(bad ? 503 : 200); s.end(bad ? 'broken' : 'ok'); }).listen(Number(port), '127.0.0.1');";

let h: TestHangar;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-smoke-flag-'));
  h = await startTestHangar('smoke-timer', { smokeIntervalSeconds: INTERVAL });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name, ...extra } });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await h.waitFor(id, (r) => r.status === 'running' && r.connection === 'connected' && r.workloadHealthy === true, 45_000);
  return id;
}

/** The timer's smoke events of an instance, oldest first. */
async function timerSmokes(id: string) {
  return (await h.engine.store.events(id, { limit: 10_000 })).filter((e) => e.actor === SMOKE_TIMER_ACTOR && e.data?.command === 'smoke');
}

async function metric(name: string): Promise<number | null> {
  const text = await (await h.api(`/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

describe('the smoke timer', () => {
  let ok: string;
  let broken: string;
  const flag = () => join(dir, 'broken');

  beforeAll(async () => {
    [ok, broken] = await Promise.all([create('smoke-ok'), create('smoke-broken', { workload: 'process', config: { command: '{node}', args: ['-e', TOGGLE, '{port}', flag()] } })]);
    writeFileSync(flag(), 'x');
  }, 90_000);

  it('smokes every running instance each period: healthy passes, broken fails; each result is an event', async () => {
    await expect.poll(async () => (await timerSmokes(broken)).at(-1)?.data?.result, { timeout: 15_000, interval: 250 }).toBe('fail');
    await expect.poll(async () => (await timerSmokes(ok)).length, { timeout: 15_000, interval: 250 }).toBeGreaterThanOrEqual(1);
    const okEvents = await timerSmokes(ok);
    expect(okEvents.every((e) => e.data?.result === 'pass')).toBe(true);
    expect(okEvents[0]).toMatchObject({ kind: 'info', reason: expect.stringMatching(/^command smoke: pass: http:\/\/127\.0\.0\.1:\d+\/healthz → 200$/), data: { command: 'smoke', ok: true, result: 'pass', kind: 'health', trigger: 'timer', slot: expect.any(Number) } });
    const failed = (await timerSmokes(broken)).at(-1)!;
    expect(failed).toMatchObject({ reason: expect.stringMatching(/^command smoke: fail: .* → 503$/), data: { result: 'fail', detail: expect.stringMatching(/→ 503$/) } });
  });

  it('status shows the latest smoke (API and `hangar status`)', async () => {
    const st = await (await h.api(`/v1/instances/${broken}/status`)).json();
    expect(st.lastSmoke).toMatchObject({ result: 'fail', detail: expect.stringMatching(/→ 503$/), actor: SMOKE_TIMER_ACTOR, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await (await h.api(`/v1/instances/${ok}/status`)).json()).lastSmoke).toMatchObject({ result: 'pass' });
    const cli = await runCli(h, ['status', broken]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^last smoke: +failed at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(http:\/\/127\.0\.0\.1:\d+\/healthz → 503\)$/m);
    expect((await runCli(h, ['status', ok])).stdout).toMatch(/^last smoke: +passed at /m);
    // A manual smoke is the same event: it becomes the latest.
    const manual = await (await h.api(`/v1/instances/${broken}/smoke`, { method: 'POST' })).json();
    expect(manual).toMatchObject({ result: 'fail' });
  });

  it('/metrics: hangar_smoke_total by result and hangar_instances_smoke_failing; a mended workload passes again', async () => {
    expect(await metric('hangar_smoke_total{result="pass"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('hangar_smoke_total{result="fail"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('hangar_instances_smoke_failing')).toBe(1);
    rmSync(flag());
    await expect.poll(async () => (await timerSmokes(broken)).at(-1)?.data?.result, { timeout: 15_000, interval: 250 }).toBe('pass');
    expect(await metric('hangar_instances_smoke_failing')).toBe(0);
    expect(existsSync(flag())).toBe(false);
  });

  it('several timers on one queue (several replicas) smoke each instance once per period', async () => {
    const log = pino({ level: 'silent' });
    const ops = new AgentOps({ store: h.engine.store, send: (id, n, a, t) => h.hub.command(id, n, a, t) });
    const extra = Array.from({ length: 3 }, () => new SmokeTimer({ boss: h.boss, db: h.database.db, ops, log, intervalSeconds: INTERVAL, pollSeconds: 0.2 }));
    const t0 = Date.now();
    const before = new Set((await timerSmokes(ok)).map((e) => e.id));
    await Promise.all(extra.map((t) => t.start()));
    try {
      await new Promise((r) => setTimeout(r, 4 * INTERVAL * 1000 + 500));
      // At most one run waits at a time, whoever queued it.
      const waiting = await h.database.executeSql(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'smoke.sweep' AND state = 'created'`);
      expect(waiting.rows[0].n).toBe(1);
    } finally {
      await Promise.all(extra.map((t) => t.stop()));
    }
    const elapsed = (Date.now() - t0) / 1000;
    for (const id of [ok, broken]) {
      const slots = (await timerSmokes(id)).map((e) => e.data?.slot as number);
      expect(new Set(slots).size, `slots of ${id}: ${slots}`).toBe(slots.length);
    }
    const fresh = (await timerSmokes(ok)).filter((e) => !before.has(e.id));
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    expect(fresh.length).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL) + 1);
  }, 30_000);

  it('HANGAR_SMOKE_INTERVAL_SECONDS: default one day, 0 turns the timer off', () => {
    expect(configFromEnv({}).smokeIntervalSeconds).toBe(86_400);
    expect(configFromEnv({ HANGAR_SMOKE_INTERVAL_SECONDS: '0' }).smokeIntervalSeconds).toBe(0);
    expect(() => configFromEnv({ HANGAR_SMOKE_INTERVAL_SECONDS: '-1' })).toThrow(/HANGAR_SMOKE_INTERVAL_SECONDS/);
  });
});
