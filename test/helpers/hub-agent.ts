import { connect } from 'node:net';
import WebSocket from 'ws';
import { open } from '../../src/domain/tokens.ts';
import type { TestHangar } from './hangar.ts';

/**
 * Create a local instance whose real agent cannot reach Hangar, and enroll in its place: the
 * test then speaks the hub protocol itself. `body` adds fields to the enroll request.
 *
 * @example
 * const a = await playAgent(h, 'flood');
 * const ws = await dialHub(h, a);
 */
export async function playAgent(h: TestHangar, name: string, body: Record<string, unknown> = {}): Promise<{ id: string; token: string; agentId: string; agentKey: string }> {
  const { id, token } = await unenrolled(h, name);
  const res = await fetch(`${h.url}/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, ...body }) });
  if (res.status !== 200) throw new Error(`enroll: HTTP ${res.status} ${await res.text()}`);
  const e = (await res.json()) as { agentId: string; agentKey: string };
  return { id, token, agentId: e.agentId, agentKey: e.agentKey };
}

/** A local instance whose agent dials a closed port (it never enrolls), and its bootstrap token. */
export async function unenrolled(h: TestHangar, name: string): Promise<{ id: string; token: string }> {
  // The real agent never reaches us: we play it.
  const row = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
    const res = await h.api('/v1/instances', { method: 'POST', json: { provider: 'local', name, connectTimeoutSeconds: 120 } });
    if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    return h.waitFor(id, (r) => r.serverId !== null && r.bootstrapTokenSealed !== null);
  });
  return { id: row.id, token: open(row.bootstrapTokenSealed!, h.engine.secretKey) };
}

/** A URL where no Hangar listens: agents told to dial it never enroll. */
export const CLOSED_PORT_URL = 'http://127.0.0.1:9';

/**
 * Run `fn` while agents are told to dial `url` (through the engine's one seam for it,
 * `settings.setPublicUrl`), then point them back at this Hangar. The bootstrap is rendered by the
 * provision step after the create answered: `fn` must wait until the server is recorded, or the
 * agent may be given this Hangar's URL after all.
 *
 * @example
 * const id = await withPublicUrl(h, CLOSED_PORT_URL, async () => {
 *   const { id } = await create('never');
 *   await h.waitFor(id, (r) => r.serverId !== null);
 *   return id; // its agent never dials home
 * });
 */
export async function withPublicUrl<T>(h: TestHangar, url: string, fn: () => Promise<T>): Promise<T> {
  const saved = h.engine.publicUrl;
  h.engine.settings.setPublicUrl(url);
  try {
    return await fn();
  } finally {
    h.engine.settings.setPublicUrl(saved);
  }
}

/**
 * Open the hub as an agent; resolves once open (rejects with the HTTP status if refused). It
 * sends a heartbeat every 500 ms, as a live agent does, so the sweep leaves it connected.
 */
export function dialHub(h: TestHangar, a: { agentId: string; agentKey: string }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/v1/agents/connect`, { headers: { authorization: `Bearer ${a.agentId}:${a.agentKey}` } });
    ws.on('open', () => {
      const beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'heartbeat' })), 500);
      ws.on('close', () => clearInterval(beat));
      resolve(ws);
    });
    ws.on('unexpected-response', (_q, r) => reject(Object.assign(new Error(`HTTP ${r.statusCode}`), { status: r.statusCode })));
    ws.on('error', (err) => reject(err));
  });
}

/** The close code of a socket, once it closes. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1);
    ws.on('close', (code) => resolve(code));
  });
}

/**
 * Send a raw HTTP upgrade request and collect what comes back until the server closes the
 * socket, or `timeoutMs` passes (then `closed` is false and the socket is destroyed by us).
 */
export function rawUpgrade(url: string, path: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ response: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    let response = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ response, closed: false });
    }, timeoutMs);
    s.on('connect', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`);
    });
    s.on('data', (d) => (response += d.toString()));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closed: true });
    });
  });
}

/** Poll `fn` until it returns a truthy value, or throw after `timeoutMs`. */
export async function until<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
