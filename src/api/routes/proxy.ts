import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import WebSocket from 'ws';
import { workloadUiPort } from '../../bootstrap/ui-port.ts';
import { HangarError, NotFoundError } from '../../domain/errors.ts';
import type { StreamChannel } from '../../domain/stream-channel.ts';
import { PROXY_COOKIE_SECONDS, PROXY_MAX_BODY_BYTES, PROXY_TIMEOUT_MS, STREAM_CLIENT_MAX_MESSAGE_BYTES } from '../../hub/limits.ts';
import { PROXY_COOKIE, PROXY_TICKET_PARAM, withoutCookie } from '../tickets.ts';
import { actorOf, type RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';
import type { ReachDeps } from './reach.ts';

/** Headers that belong to one hop (RFC 9110 §7.6.1) or to Hangar, never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'proxy-authorization', 'host', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept']);

/**
 * A request's headers as the workload gets them: no hop-by-hop headers, none of Hangar's
 * credentials (the bearer header, the proxy cookie), and where the UI is mounted.
 *
 * @example
 * forwardHeaders({ authorization: 'Bearer hgr_x', cookie: 'hangar_proxy=t; a=1', accept: '*' }, '/v1/instances/i/proxy')
 * // → { cookie: 'a=1', accept: '*', 'x-forwarded-prefix': '/v1/instances/i/proxy' }
 */
export function forwardHeaders(h: IncomingHttpHeaders, prefix: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k) && k !== 'cookie') out[k] = v;
  const cookie = withoutCookie(h.cookie, PROXY_COOKIE);
  if (cookie) out.cookie = cookie;
  out['x-forwarded-prefix'] = prefix;
  return out;
}

/** The path and query sent to the workload: what follows `/proxy`, without a sign-in ticket. */
export function upstreamPath(url: string, prefix: string): string {
  const u = new URL(url, 'http://x');
  u.searchParams.delete(PROXY_TICKET_PARAM);
  const rest = u.pathname.slice(prefix.length) || '/';
  return `${rest}${u.search}`;
}

/** A body counter: fails the request past PROXY_MAX_BODY_BYTES. */
const bodyLimit = () => {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      cb(n > PROXY_MAX_BODY_BYTES ? new HangarError('payload-too-large', `the proxy forwards request bodies up to ${PROXY_MAX_BODY_BYTES} bytes`, 413) : null, chunk);
    },
  });
};

const opened = new WeakMap<FastifyRequest, { ch: StreamChannel; port: number }>();
const proxyPrefix = (id: string) => `/v1/instances/${id}/proxy`;

/**
 * The workload's own web UI through Hangar: `/v1/instances/:id/proxy/…` forwards HTTP and
 * WebSocket requests to the UI port on the server's loopback (uiPort, else the workload's own),
 * over the agent's socket. Callers: an operator's bearer key, or the browser's HttpOnly proxy
 * cookie (scoped to this path) that a sign-in link from `POST …/tickets` sets.
 *
 * @example
 * await app.register(websocket); registerProxyRoutes(app, ctx, { streams: hub, tickets });
 */
export function registerProxyRoutes(app: FastifyInstance, ctx: RouteContext, deps: ReachDeps): void {
  const store = ctx.engine.store;
  // Bodies are streamed to the workload as they are, whatever their type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: PROXY_MAX_BODY_BYTES }, (_req, payload, done) => done(null, payload));

  const open = async (req: FastifyRequest, reply: FastifyReply) => {
    const row = await store.get(instanceIdOf(req));
    const prefix = proxyPrefix(row.id);
    // A sign-in link: trade its ticket for the cookie, and go on without it in the address.
    const q = req.query as Record<string, unknown>;
    if (typeof q[PROXY_TICKET_PARAM] === 'string' && !req.ws) {
      const t = deps.tickets.mint('proxy-cookie', row.id, actorOf(req), req.grant ?? 'admin', PROXY_COOKIE_SECONDS);
      const secure = req.protocol === 'https' ? '; Secure' : '';
      reply.header('set-cookie', `${PROXY_COOKIE}=${t.ticket}; Path=${prefix}/; Max-Age=${PROXY_COOKIE_SECONDS}; HttpOnly; SameSite=Strict${secure}`);
      return reply.redirect(`${prefix}${upstreamPath(req.url, prefix)}`, 303);
    }
    const port = workloadUiPort(row.workload, row.workloadConfig);
    if (!port) throw new NotFoundError('web UI of workload', `${row.workload} (create the instance with config {"uiPort": N} to name its loopback port)`);
    const ch = await deps.streams.openStream(row.id, { kind: 'tcp', port });
    req.socket.once('close', () => ch.destroy());
    opened.set(req, { ch, port });
  };

  const forward = (req: FastifyRequest, reply: FastifyReply) => {
    const { ch, port } = opened.get(req)!;
    const id = instanceIdOf(req);
    const prefix = proxyPrefix(id);
    reply.hijack();
    const res = reply.raw;
    const fail = (status: number, detail: string) => {
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'proxy error', status, detail }));
      } else res.destroy();
      ch.destroy();
    };
    const headers = { ...forwardHeaders(req.headers, prefix), host: `127.0.0.1:${port}`, connection: 'close' };
    const up = httpRequest({ method: req.method, path: upstreamPath(req.url, prefix), headers, createConnection: () => ch as never });
    const timer = setTimeout(() => {
      up.destroy();
      fail(504, `the workload on 127.0.0.1:${port} did not answer within ${PROXY_TIMEOUT_MS / 1000} s`);
    }, PROXY_TIMEOUT_MS);
    up.on('response', (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
      r.on('end', () => clearTimeout(timer));
    });
    up.on('error', (err) => {
      clearTimeout(timer);
      fail(502, `the workload on 127.0.0.1:${port} could not be reached: ${err.message}`);
    });
    res.on('close', () => {
      clearTimeout(timer);
      up.destroy();
      ch.destroy();
    });
    const body = req.body as NodeJS.ReadableStream | undefined;
    if (body && typeof body.pipe === 'function') body.pipe(bodyLimit()).on('error', (e: Error) => fail(413, e.message)).pipe(up);
    else up.end();
  };

  const wsForward = (client: WebSocket, req: FastifyRequest) => {
    const { ch, port } = opened.get(req)!;
    const prefix = proxyPrefix(instanceIdOf(req));
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const headers = forwardHeaders(req.headers, prefix) as Record<string, string>;
    delete headers['sec-websocket-protocol'];
    const up = new WebSocket(`ws://127.0.0.1:${port}${upstreamPath(req.url, prefix)}`, protocols, { headers, createConnection: () => ch as never, maxPayload: STREAM_CLIENT_MAX_MESSAGE_BYTES, handshakeTimeout: PROXY_TIMEOUT_MS });
    const early: [Buffer, boolean][] = [];
    client.on('message', (d: Buffer, bin: boolean) => (up.readyState === WebSocket.OPEN ? up.send(d, { binary: bin }) : early.push([d, bin])));
    up.on('open', () => {
      for (const [d, bin] of early.splice(0)) up.send(d, { binary: bin });
    });
    up.on('message', (d: Buffer, bin: boolean) => client.readyState === WebSocket.OPEN && client.send(d, { binary: bin }));
    const code = (c: number) => (c >= 1000 && c < 5000 && c !== 1005 && c !== 1006 && c !== 1015 ? c : 1011);
    up.on('close', (c, why) => client.readyState === WebSocket.OPEN && client.close(code(c), why));
    up.on('error', (err) => client.readyState === WebSocket.OPEN && client.close(1011, `workload: ${err.message}`.slice(0, 120)));
    up.on('unexpected-response', (_r, res) => client.readyState === WebSocket.OPEN && client.close(1011, `workload answered HTTP ${res.statusCode}`));
    client.on('close', () => {
      up.terminate();
      ch.destroy();
    });
  };

  const config = { access: 'operator', ticket: 'proxy' } as const;
  app.get('/v1/instances/:id/proxy', { config }, async (req, reply) => reply.redirect(`${proxyPrefix(instanceIdOf(req))}/`, 308));
  app.route({ method: 'GET', url: '/v1/instances/:id/proxy/*', config, preHandler: open, handler: forward, wsHandler: wsForward });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/v1/instances/:id/proxy/*', config, preHandler: open, handler: forward });
}
