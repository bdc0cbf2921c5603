import { createServer } from 'node:http';

/**
 * The `process` workload of the local provider: a tiny HTTP service with `/healthz`, run as its
 * own child process of the agent so health is checked across a real process boundary.
 */
export function runDemoService(port: number): void {
  const started = Date.now();
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, uptimeMs: Date.now() - started }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hangar demo workload\n');
  });
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
