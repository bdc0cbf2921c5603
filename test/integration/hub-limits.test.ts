import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newToken } from '../../src/domain/tokens.ts';
import { HUB_LOG_RATE_BURST, HUB_LOG_RATE_PER_SECOND, HUB_MAX_FRAME_BYTES, LOG_MAX_FRAME_CHARS, MAX_NAME_CHARS, MAX_VERSION_CHARS } from '../../src/hub/limits.ts';
import { CLOSE_RATE_LIMITED } from '../../src/hub/protocol.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';
import { closeCode, dialHub, playAgent, rawUpgrade, until } from '../helpers/hub-agent.ts';

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('hub-limits');
});
afterAll(async () => {
  await h?.close();
});

const serverConnections = () => new Promise<number>((resolve, reject) => h.hub.httpServer!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
const openFds = () => readdirSync('/proc/self/fd').length;
const logEvents = async (id: string) => (await h.engine.store.events(id)).filter((e) => e.kind === 'log');

describe('hub upgrades', () => {
  it('answers every upgrade to another path with 404 and closes its socket (no descriptor kept)', async () => {
    const fdsBefore = openFds();
    const results = await Promise.all(Array.from({ length: 200 }, () => rawUpgrade(h.url, '/nope')));
    expect(results.filter((r) => r.response.startsWith('HTTP/1.1 404 ')).length).toBe(200);
    expect(results.filter((r) => r.closed).length).toBe(200);
    // The server side is gone too: no socket of ours is left open.
    await until(async () => (await serverConnections()) <= 2, 'the server to drop the refused sockets');
    await until(() => openFds() <= fdsBefore + 5, 'the descriptors to be released');
  });

  it('matches the hub path exactly on the parsed pathname', async () => {
    for (const path of ['/v1/agents/connectXYZ', '/v1/agents/connect/../x', '/v1/agents/connect/', '/x/v1/agents/connect']) {
      const r = await rawUpgrade(h.url, path);
      expect({ path, head: r.response.split('\r\n')[0], closed: r.closed }).toEqual({ path, head: 'HTTP/1.1 404 Not Found', closed: true });
    }
    const hub = await rawUpgrade(h.url, '/v1/agents/connect?v=1'); // the hub, without credentials
    expect(hub.response.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(hub.closed).toBe(true);
  });

  it('a malformed agent id or key is 401 on the hub and on /v1/agents/update, never 5xx', async () => {
    for (const authorization of [`Bearer ${'-'.repeat(36)}:hga_x`, `Bearer ${'-'.repeat(36)}:hga_${'y'.repeat(43)}`, `Bearer ${'a'.repeat(36)}:hga_${'y'.repeat(43)}`, `Bearer 00000000-0000-4000-8000-000000000000:hga_x`]) {
      const hub = await rawUpgrade(h.url, '/v1/agents/connect', { authorization });
      expect({ authorization, head: hub.response.split('\r\n')[0] }).toEqual({ authorization, head: 'HTTP/1.1 401 Unauthorized' });
      const res = await fetch(`${h.url}/v1/agents/update?version=0.1.0`, { headers: { authorization } });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
    }
  });

  it('refuses upgrades with 503 beyond the connection cap and beyond the authenticating cap', async () => {
    const a = await playAgent(h, 'cap-a');
    const b = await playAgent(h, 'cap-b');
    const limits = { ...h.hub.limits };
    const ws = await dialHub(h, a);
    try {
      h.hub.limits.maxConnections = h.hub.connected;
      const refused = await rawUpgrade(h.url, '/v1/agents/connect', { authorization: `Bearer ${b.agentId}:${b.agentKey}` });
      expect(refused.response.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
      expect(refused.response).toMatch(/\r\nRetry-After: \d+\r\n/);
      h.hub.limits.maxConnections = limits.maxConnections;

      // Two upgrades held in authentication (their agent look-ups wait): a third is refused at
      // once, without a look-up. Well-formed but unknown credentials reach the look-up.
      h.hub.limits.maxPendingUpgrades = 2;
      const findBy = h.engine.store.findBy.bind(h.engine.store);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let lookups = 0;
      const spy = vi.spyOn(h.engine.store, 'findBy').mockImplementation(async (column, value) => {
        if (column === 'agentId') {
          lookups++;
          await gate;
        }
        return findBy(column, value);
      });
      const unknown = () => `Bearer ${randomUUID()}:${newToken('hga')}`;
      try {
        const held = [rawUpgrade(h.url, '/v1/agents/connect', { authorization: unknown() }), rawUpgrade(h.url, '/v1/agents/connect', { authorization: unknown() })];
        await until(() => lookups === 2, 'two upgrades in authentication');
        const third = await rawUpgrade(h.url, '/v1/agents/connect', { authorization: unknown() });
        expect(third.response.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
        expect(lookups).toBe(2);
        release();
        for (const r of await Promise.all(held)) expect(r.response.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
      } finally {
        release();
        spy.mockRestore();
      }
    } finally {
      Object.assign(h.hub.limits, limits);
      ws.close();
    }
  });
});

describe('hub frames', () => {
  it('a frame over the size limit closes the socket with 1009', async () => {
    const a = await playAgent(h, 'oversize');
    const ws = await dialHub(h, a);
    const closed = closeCode(ws);
    ws.send(JSON.stringify({ type: 'log', source: 'agent', lines: ['x'.repeat(HUB_MAX_FRAME_BYTES)] }));
    expect(await closed).toBe(1009);
    expect(await logEvents(a.id)).toEqual([]);
  });

  it('a flood is dropped past the rate limit, the event log stays capped, and the agent is closed with 4429', async () => {
    const a = await playAgent(h, 'flood');
    const ws = await dialHub(h, a);
    const closed = closeCode(ws);
    const started = Date.now();
    for (let i = 0; i < 2000 && ws.readyState === ws.OPEN; i++) ws.send(JSON.stringify({ type: 'log', source: 'workload', lines: [`flood ${i}`] }));
    expect(await closed).toBe(CLOSE_RATE_LIMITED);
    const elapsed = (Date.now() - started) / 1000;
    const events = await until(async () => {
      const evs = await h.engine.store.events(a.id);
      return evs.some((e) => e.kind === 'warning' && e.reason?.includes('rate limit')) ? evs : null;
    }, 'the rate-limit warning');
    const kept = events.filter((e) => e.kind === 'log');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(HUB_LOG_RATE_BURST + Math.ceil(HUB_LOG_RATE_PER_SECOND * elapsed) + 1);
    const warning = events.find((e) => e.kind === 'warning' && e.reason?.includes('rate limit'))!;
    expect(warning.data).toMatchObject({ closed: true });
    expect((warning.data as { dropped: number }).dropped).toBeGreaterThan(100);
    // The agent may dial again, but that does not refill its budgets: flooding on goes nowhere.
    const again = await dialHub(h, a);
    const closedAgain = closeCode(again);
    for (let i = 0; i < 150 && again.readyState === again.OPEN; i++) again.send(JSON.stringify({ type: 'log', source: 'workload', lines: [`again ${i}`] }));
    expect(await closedAgain).toBe(CLOSE_RATE_LIMITED);
  });

  it('one log frame writes at most LOG_MAX_FRAME_CHARS into the event log', async () => {
    const a = await playAgent(h, 'big-logs');
    const ws = await dialHub(h, a);
    // ~250 KB frames, 100 lines of 2,500 characters each: uncapped, 40 of them made a 34 MiB events page.
    const line = 'z'.repeat(2_500);
    const frame = JSON.stringify({ type: 'log', source: 'workload', lines: Array.from({ length: 100 }, () => line) });
    expect(frame.length).toBeLessThan(HUB_MAX_FRAME_BYTES);
    for (let i = 0; i < 3; i++) ws.send(frame);
    const kept = await until(() => logEvents(a.id).then((l) => (l.length === 3 ? l : null)), 'three log events');
    for (const e of kept) {
      expect(e.reason!.length).toBeLessThanOrEqual(LOG_MAX_FRAME_CHARS + 100);
      expect(e.reason).toMatch(/more lines not kept\]$/);
      expect(e.data).toMatchObject({ lines: 100 });
    }
    ws.close();
  });

  it('huge hello fields never reach the database; long log lines are cut', async () => {
    const a = await playAgent(h, 'huge-hello');
    const ws = await dialHub(h, a);
    ws.send(JSON.stringify({ type: 'hello', version: '1.2.3', hostname: 'h'.repeat(200_000) }));
    ws.send(JSON.stringify({ type: 'hello', version: '9.9.9', hostname: 'h', tailnetName: 't'.repeat(50_000) }));
    ws.send(JSON.stringify({ type: 'hello', version: 'v'.repeat(200_000), hostname: 'h' }));
    ws.send(JSON.stringify({ type: 'log', source: 'agent', lines: ['short', 'L'.repeat(100_000)] }));
    const [log] = await until(() => logEvents(a.id).then((l) => (l.length ? l : null)), 'the log event');
    const row = await h.engine.store.get(a.id);
    expect(row.agentVersion).toBe('1.2.3'); // the oversized version and tailnet name were refused; the long hostname was cut
    expect(row.agentVersion!.length).toBeLessThanOrEqual(MAX_VERSION_CHARS);
    expect(row.tailnetName ?? '').not.toContain('ttt');
    expect((row.tailnetName ?? '').length).toBeLessThanOrEqual(MAX_NAME_CHARS);
    const [first, second] = log.reason!.split('\n');
    expect(first).toBe('short');
    expect(second.length).toBeLessThan(2_100);
    expect(second).toMatch(/more characters\]$/);
    ws.close();
  });
});
