import type { Duplex } from 'node:stream';

export const HUB_PATH = '/v1/agents/connect';

/**
 * Whether an upgrade request is for the hub: its parsed pathname is exactly HUB_PATH (a query
 * string is allowed; `/v1/agents/connectX` and `/v1/agents/connect/../x` are not the hub).
 *
 * @example
 * isHubPath('/v1/agents/connect?v=1') // true
 * isHubPath('/v1/agents/connect/../x') // false
 */
export function isHubPath(url: string | undefined): boolean {
  if (!url || !url.startsWith('/')) return false;
  try {
    // Appended to an origin (not resolved against it): `//host/…` stays a path, never a host.
    return new URL(`http://hub.invalid${url}`).pathname === HUB_PATH;
  } catch {
    return false;
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * Answer an upgrade request that will not become a WebSocket, then close its socket for good.
 *
 * @example
 * refuseUpgrade(socket, 404);
 * refuseUpgrade(socket, 503, { 'Retry-After': '5' });
 */
export function refuseUpgrade(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}
