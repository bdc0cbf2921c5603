import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError } from '../../domain/errors.ts';
import type { StreamChannel } from '../../domain/stream-channel.ts';
import type { Hub } from '../../hub/hub.ts';
import { TICKET_SECONDS } from '../../hub/limits.ts';
import { parseInput } from '../problem.ts';
import { bridge } from '../reach/bridge.ts';
import { PortForwardQuery, SshQuery, TicketBody } from '../reach/inputs.ts';
import { PROXY_TICKET_PARAM, type Tickets } from '../tickets.ts';
import { actorOf, type RouteContext } from './context.ts';
import { instanceIdOf } from './params.ts';

/** What the reach routes need besides the route context: the hub's streams and the ticket signer. */
export interface ReachDeps {
  streams: Pick<Hub, 'openStream'>;
  tickets: Tickets;
}

/** The stream a WebSocket route opened in its preHandler (so a refusal is still an HTTP answer). */
const opened = new WeakMap<FastifyRequest, { ch: StreamChannel; id: string; what: string }>();

/** Refuse a plain GET on a WebSocket route with what to use instead. */
function wantsUpgrade(req: FastifyRequest, what: string): void {
  if (!req.ws) throw new HangarError('upgrade-required', `this is a WebSocket endpoint: ${what}`, 426);
}

/** Close the stream if the client went away before the WebSocket was set up. */
function holdStream(req: FastifyRequest, ch: StreamChannel): void {
  req.socket.once('close', () => ch.destroy());
}

/**
 * Reaching an agent: `hangar ssh` (a PTY), `hangar port-forward` (loopback TCP) as WebSockets
 * relayed over the agent's own socket, and tickets that let the dashboard open them where a
 * browser cannot send a bearer header. Needs @fastify/websocket registered in the same scope.
 *
 * @example
 * await app.register(websocket); registerReachRoutes(app, ctx, { streams: hub, tickets });
 */
export function registerReachRoutes(app: FastifyInstance, ctx: RouteContext, deps: ReachDeps): void {
  const store = ctx.engine.store;

  app.post('/v1/instances/:id/tickets', { config: { access: 'operator' } }, async (req) => {
    const body = parseInput(TicketBody, req.body ?? {});
    const row = await store.get(instanceIdOf(req));
    if (body.purpose === 'terminal') {
      const t = deps.tickets.mint('terminal', row.id, actorOf(req), req.grant ?? 'admin', TICKET_SECONDS);
      return { url: `/v1/instances/${row.id}/ssh?ticket=${t.ticket}`, expiresAt: t.expiresAt.toISOString() };
    }
    const t = deps.tickets.mint('proxy-link', row.id, actorOf(req), req.grant ?? 'admin', TICKET_SECONDS);
    return { url: `/v1/instances/${row.id}/proxy/?${PROXY_TICKET_PARAM}=${t.ticket}`, expiresAt: t.expiresAt.toISOString() };
  });

  app.get(
    '/v1/instances/:id/ssh',
    {
      websocket: true,
      config: { access: 'operator', ticket: 'terminal' },
      preHandler: async (req) => {
        wantsUpgrade(req, 'use hangar ssh ID, or the terminal on the instance page');
        const q = parseInput(SshQuery, req.query, 'query');
        const row = await store.get(instanceIdOf(req));
        const actor = actorOf(req);
        if (row.workloadConfig?.exec !== true) {
          await store.event(row.id, { actor, kind: 'info', reason: 'shell refused: exec is not enabled on this instance', data: { command: 'shell', ok: false } });
          throw new HangarError('forbidden', 'a shell is disabled for this instance like exec; create it with config {"exec": true} to allow it', 403);
        }
        const argv = q.cmd === undefined ? undefined : Array.isArray(q.cmd) ? q.cmd : [q.cmd];
        const ch = await deps.streams.openStream(row.id, { kind: 'pty', cols: q.cols, rows: q.rows, ...(argv ? { argv } : {}) });
        holdStream(req, ch);
        opened.set(req, { ch, id: row.id, what: argv ? 'a command' : 'an interactive shell' });
      },
    },
    (ws, req) => {
      const { ch, id, what } = opened.get(req)!;
      const actor = actorOf(req);
      const t0 = Date.now();
      // Audited without content: who, when, how long, how it ended.
      void store.event(id, { actor, kind: 'info', reason: `shell opened by ${actor}: ${what}`, data: { command: 'shell', phase: 'opened', interactive: what !== 'a command' } }).catch(() => {});
      bridge(ws, ch, 'terminal', (end) => {
        const how = end.exitCode !== null ? `exit ${end.exitCode}` : `closed${end.error ? `: ${end.error}` : ''}`;
        void store.event(id, { actor, kind: 'info', reason: `shell closed (${how}, ${Math.round((Date.now() - t0) / 1000)} s)`, data: { command: 'shell', phase: 'closed', exitCode: end.exitCode, seconds: Math.round((Date.now() - t0) / 1000) } }).catch(() => {});
      });
    },
  );

  app.get(
    '/v1/instances/:id/port-forward',
    {
      websocket: true,
      config: { access: 'operator' },
      preHandler: async (req) => {
        wantsUpgrade(req, 'use hangar port-forward ID LOCAL:REMOTE');
        const q = parseInput(PortForwardQuery, req.query, 'query');
        const row = await store.get(instanceIdOf(req));
        const ch = await deps.streams.openStream(row.id, { kind: 'tcp', port: q.port });
        holdStream(req, ch);
        opened.set(req, { ch, id: row.id, what: `127.0.0.1:${q.port}` });
      },
    },
    (ws, req) => {
      const { ch, id, what } = opened.get(req)!;
      bridge(ws, ch, 'raw', (end) => ctx.log.debug({ instanceId: id, to: what, error: end.error }, 'port-forward connection closed'));
    },
  );
}
