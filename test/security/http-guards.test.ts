/**
 * The HTTP edge: credentials are checked before a body is read, slow clients are cut off, failed
 * keys are logged and throttled, a revoked key stops at once, responses carry security headers,
 * requests for foreign hosts or from foreign origins are refused, /metrics needs a key.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { apiKeys } from '../../src/db/schema.ts';
import { hashToken, newToken } from '../../src/domain/tokens.ts';
import { startTestHangar, type TestHangar } from '../helpers/hangar.ts';

const logLines: string[] = [];
const sink = new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) });

let h: TestHangar;
beforeAll(async () => {
  h = await startTestHangar('httpguards', { authFailuresPerMinute: 5, requestTimeoutSeconds: 2 }, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await h?.close();
});

/** Send raw bytes and collect the answer until the server closes (or `ms` passes). */
function raw(head: string, opts: { ms?: number; drip?: boolean } = {}): Promise<{ text: string; closedAfterMs: number }> {
  const u = new URL(h.url);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let text = '';
    let drip: NodeJS.Timeout | undefined;
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => {
      clearInterval(drip);
      resolve({ text, closedAfterMs: Date.now() - t0 });
    });
    s.on('error', () => {});
    s.write(head);
    if (opts.drip) drip = setInterval(() => s.write('x'), 500);
    setTimeout(() => s.destroy(), opts.ms ?? 15_000);
  });
}

describe('before the body', () => {
  it('answers 401 to an unauthenticated 90 MB upload without reading it', async () => {
    const { text, closedAfterMs } = await raw(`POST /v1/agent-releases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 94371840\r\nConnection: close\r\n\r\n{`, { ms: 10_000 });
    expect(text).toMatch(/^HTTP\/1\.1 401/);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('cuts off a client that sends its body a byte at a time', async () => {
    const { text, closedAfterMs } = await raw(`POST /v1/agents/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`, { drip: true, ms: 20_000 });
    expect(closedAfterMs).toBeLessThan(10_000);
    expect(text === '' || /^HTTP\/1\.1 408/.test(text)).toBe(true);
  });

  it('refuses a body over the route limit with 413', async () => {
    const res = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'x'.repeat(20_000) }) });
    expect(res.status).toBe(413);
  });
});

describe('failed authentication', () => {
  it('is logged without the key and throttled per address; a revoked key stops at once', async () => {
    const wrong = newToken('hgr');
    for (let i = 0; i < 5; i++) expect((await fetch(`${h.url}/v1/instances`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    const blocked = await fetch(`${h.url}/v1/instances`, { headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('60');
    const logged = logLines.filter((l) => l.includes('authentication failed'));
    expect(logged.length).toBe(5);
    expect(JSON.parse(logged[0])).toMatchObject({ ip: expect.any(String), route: '/v1/instances', access: 'viewer' });
    expect(logLines.join('\n')).not.toContain(wrong);
  });
});

describe('revocation', () => {
  it('a revoked key is refused on its next request', async () => {
    const other = await startTestHangar('httprevoke');
    try {
      const key = newToken('hgr');
      await other.engine.store.db.insert(apiKeys).values({ name: 'ci', prefix: key.slice(0, 8), hash: hashToken(key) });
      const get = () => fetch(`${other.url}/v1/instances`, { headers: { authorization: `Bearer ${key}` } });
      expect((await get()).status).toBe(200);
      await other.engine.store.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.hash, hashToken(key)));
      expect((await get()).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('headers, hosts and origins', () => {
  it('sends security headers and refuses foreign hosts and origins', async () => {
    const other = await startTestHangar('httphosts');
    try {
      const res = await fetch(`${other.url}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const port = new URL(other.url).port;
      const asHost = (host: string, extra = '') => raw(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`, { ms: 5000 });
      expect((await asHost(`localhost:${port}`)).text).toMatch(/^HTTP\/1\.1 200/);
      expect((await asHost(`evil.example:${port}`)).text).toMatch(/^HTTP\/1\.1 421/);
      expect((await asHost(`127.0.0.1:${port}`, 'Origin: https://evil.example\r\n')).text).toMatch(/^HTTP\/1\.1 403/);
      expect((await asHost(`127.0.0.1:${port}`, `Origin: http://127.0.0.1:${port}\r\n`)).text).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      await other.close();
    }
  });

  it('/metrics needs a key unless HANGAR_METRICS_PUBLIC=1', async () => {
    const closed = await startTestHangar('httpmetrics');
    const open = await startTestHangar('httpmetricspub', { metricsPublic: true });
    try {
      expect((await fetch(`${closed.url}/metrics`)).status).toBe(401);
      expect((await closed.api('/metrics')).status).toBe(200);
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
