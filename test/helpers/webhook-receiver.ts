import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with whether its Standard Webhooks signature verified. */
export interface Received {
  path: string;
  id: string;
  timestamp: string;
  body: string;
  json: any;
  verified: boolean;
  at: number;
  /** What the receiver answered. */
  status: number;
}

/** What the receiver answers on a path: a status (after an optional delay), or never. */
export type Behaviour = (n: number, r: Received) => { status: number; delayMs?: number } | 'hang';

/**
 * A real loopback HTTP receiver that verifies every request's signature with the
 * `standardwebhooks` package (the secret per path is set once the endpoint is added).
 *
 * @example
 * const rx = await startReceiver();
 * rx.secrets.set('/ok', secret);
 * await rx.until((all) => all.some((r) => r.json.type === 'instance.running'), 'running');
 */
export async function startReceiver(behaviour: Record<string, Behaviour> = {}) {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id'] ?? ''), 'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''), 'webhook-signature': String(req.headers['webhook-signature'] ?? '') };
      let verified = false;
      try {
        const secret = secrets.get(path);
        if (secret) {
          new Webhook(secret).verify(body, headers);
          verified = true;
        }
      } catch {
        verified = false;
      }
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* kept as text */
      }
      const r: Received = { path, id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], body, json, verified, at: Date.now(), status: 0 };
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const b = behaviour[path]?.(n, r) ?? { status: 204 };
      if (b === 'hang') {
        hanging.add(res);
        return;
      }
      setTimeout(() => {
        // A request answered after the sender gave up is not a delivery.
        if (!res.destroyed && !req.socket.destroyed) {
          received.push({ ...r, status: b.status });
          res.writeHead(b.status).end(b.status >= 400 ? 'no' : '');
        } else received.push({ ...r, verified: false, path: `${path}#aborted` });
      }, b.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    secrets,
    counts,
    /** Wait until `pred` holds over what arrived (deadline names `what`). */
    async until(pred: (all: Received[]) => boolean, what: string, timeoutMs = 30_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: ${what} did not arrive in ${timeoutMs} ms (got ${received.map((r) => `${r.path}:${r.json?.type ?? '?'}`).join(', ')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return received;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
