import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { STREAM_CLIENT_MAX_MESSAGE_BYTES } from '../../hub/limits.ts';
import { refuseUpgrade } from '../../hub/upgrade.ts';
import type { RouteContext } from '../routes/context.ts';
import { registerProxyRoutes } from '../routes/proxy.ts';
import { registerReachRoutes, type ReachDeps } from '../routes/reach.ts';

const UPGRADE = Symbol('hangar stream upgrade');

/**
 * Whether an upgrade request is for one of the API's WebSocket routes (ssh, port-forward, the
 * workload proxy); the hub's own path is judged by the hub.
 *
 * @example
 * isStreamPath('/v1/instances/5aa2…/ssh?cols=80') // → true
 * isStreamPath('/v1/instances') // → false
 */
export function isStreamPath(url: string | undefined): boolean {
  if (!url?.startsWith('/')) return false;
  try {
    const p = new URL(`http://x.invalid${url}`).pathname;
    return /^\/v1\/instances\/[^/]+\/(ssh|port-forward|proxy(\/.*)?)$/.test(p);
  } catch {
    return false;
  }
}

/**
 * The WebSocket-capable routes, in a scope of their own with @fastify/websocket: upgrades reach
 * them through the returned function (the hub owns the server's `upgrade` event and hands over
 * every path that is not its own), then Fastify's routing, so the access check, the Host/Origin
 * check and the routes' preHandlers run as for any request.
 *
 * @example
 * hub.otherUpgrades = registerStreamRoutes(app, ctx, { streams: hub, tickets });
 */
export function registerStreamRoutes(app: FastifyInstance, ctx: RouteContext, deps: ReachDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const upgrades = new EventEmitter();
  void app.register(async (scope) => {
    // An upgrade answered with an HTTP error (401 before the plugin saw it, 403, 502…) must not
    // keep its socket: nothing else will ever close it.
    scope.addHook('onResponse', async (req) => {
      if ((req.raw as { [UPGRADE]?: boolean })[UPGRADE]) req.raw.socket?.destroy();
    });
    await scope.register(websocket, { options: { server: upgrades as never, maxPayload: STREAM_CLIENT_MAX_MESSAGE_BYTES } });
    registerReachRoutes(scope, ctx, deps);
    await scope.register(async (proxy) => registerProxyRoutes(proxy, ctx, deps));
  });
  return (req, socket, head) => {
    if (!isStreamPath(req.url)) return refuseUpgrade(socket, 404);
    (req as { [UPGRADE]?: boolean })[UPGRADE] = true;
    upgrades.emit('upgrade', req, socket, head);
  };
}
