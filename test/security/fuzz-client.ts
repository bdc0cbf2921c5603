import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { FuzzRequest } from './fuzz-requests.ts';

/** What came back: a status, or the transport error (`timeout`, `ECONNRESET`, …) when none did. */
export interface FuzzResponse {
  status: number | null;
  error?: string;
  contentType?: string;
  /** The first 4 KiB of an error body (problem details); empty for 2xx and streams. */
  text: string;
}

/**
 * Send one request exactly as built (raw path, headers as given) over a fresh connection. A
 * stream (`text/event-stream`) is closed once its status is read; other bodies are read and
 * dropped, keeping the start of an error's.
 *
 * @example
 * const res = await send('http://127.0.0.1:7070', { method: 'GET', url: '/healthz', headers: {} }, 5000);
 */
export function send(base: string, r: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  const { hostname, port } = new URL(base);
  const headers: Record<string, string> = { ...r.headers };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  return new Promise((resolve) => {
    let req: ClientRequest | undefined;
    const finish = (res: FuzzResponse) => {
      clearTimeout(timer);
      req?.destroy();
      resolve(res);
    };
    const timer = setTimeout(() => finish({ status: null, error: 'timeout', text: '' }), timeoutMs);
    try {
      req = request({ host: hostname, port: Number(port), method: r.method, path: r.url, headers, agent: false }, (res) => read(res, finish));
    } catch (err) {
      // The client itself refused it (a character Node will not put on the wire): not the server's doing.
      return finish({ status: null, error: `client: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, text: '' });
    }
    req.on('error', (err) => finish({ status: null, error: (err as NodeJS.ErrnoException).code ?? err.message, text: '' }));
    req.end(r.body);
  });
}

/** A stream is closed at its status; an error body is kept (its first 4 KiB), any other dropped. */
function read(res: IncomingMessage, finish: (r: FuzzResponse) => void): void {
  const contentType = String(res.headers['content-type'] ?? '');
  const status = res.statusCode ?? null;
  if (contentType.startsWith('text/event-stream')) return finish({ status, contentType, text: '' });
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (status !== null && status >= 400 && size < 4096) chunks.push(c);
    size += c.length;
  });
  res.on('end', () => finish({ status, contentType, text: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }));
  res.on('error', (err) => finish({ status, contentType, error: (err as NodeJS.ErrnoException).code ?? err.message, text: '' }));
}

/**
 * Whether the server still answers its readiness check.
 *
 * @example
 * expect(await alive(h.url)).toBe(true);
 */
export async function alive(base: string): Promise<boolean> {
  const res = await send(base, { method: 'GET', url: '/healthz', headers: {} }, 5000);
  return res.status === 200;
}
