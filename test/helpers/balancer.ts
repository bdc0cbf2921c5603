import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A round-robin TCP load balancer for tests: what sits in front of several Hangar replicas in
 * production. Connections to a dead backend are retried on the next one.
 */
export async function startBalancer(backends: () => number[]): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const tryBackend = (attempt: number) => {
      const ports = backends();
      if (!ports.length || attempt >= ports.length) return client.destroy();
      const port = ports[next++ % ports.length];
      const up = connect(port, '127.0.0.1');
      up.once('connect', () => {
        sockets.add(up);
        up.on('close', () => sockets.delete(up));
        client.pipe(up).pipe(client);
        client.resume();
        up.on('error', () => client.destroy());
        client.on('error', () => up.destroy());
      });
      up.once('error', () => (up.connecting || !up.readyState || up.readyState === 'closed' ? tryBackend(attempt + 1) : client.destroy()));
    };
    tryBackend(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
