/**
 * A tiny routable fake HTTP API for unit tests of the REST clients: register handlers per method
 * and path pattern, pass `api.fetch` as the injected fetch, then inspect `api.requests`.
 *
 * @example
 * const api = new FakeApi();
 * api.on('GET', /^\/servers\/(\d+)$/, (req, [id]) => json(200, { server: servers.get(id) }));
 * const hz = new HetznerProvider({ token: 't', baseUrl: 'http://fake', fetch: api.fetch });
 */
import type { FetchLike } from './client.ts';

export interface FakeRequest {
  method: string;
  url: URL;
  path: string;
  headers: Headers;
  /** Parsed JSON body, or the form fields for a form-encoded body, else undefined. */
  body: any;
  text: string;
}

export type FakeHandler = (req: FakeRequest, params: string[]) => Response | Promise<Response>;

/** A JSON response. */
export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  if (body === undefined || status === 204) return new Response(null, { status, headers });
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export class FakeApi {
  readonly requests: FakeRequest[] = [];
  private routes: { method: string; pattern: RegExp; handler: FakeHandler }[] = [];

  /** Register a handler; `pattern` matches the path (without query); groups become params. */
  on(method: string, pattern: RegExp | string, handler: FakeHandler): this {
    const re = typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : pattern;
    this.routes.unshift({ method: method.toUpperCase(), pattern: re, handler });
    return this;
  }

  /** Requests matching a method and path prefix. */
  calls(method: string, path?: string | RegExp): FakeRequest[] {
    return this.requests.filter(
      (r) => r.method === method.toUpperCase() && (path === undefined || (typeof path === 'string' ? r.path === path : path.test(r.path))),
    );
  }

  readonly fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers as HeadersInit);
    const text = typeof init.body === 'string' ? init.body : '';
    let body: any;
    const ct = headers.get('content-type') ?? '';
    if (text && ct.includes('json')) body = JSON.parse(text);
    else if (text && ct.includes('x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(text));
    const req: FakeRequest = { method, url, path: url.pathname, headers, body, text };
    this.requests.push(req);
    if (init.signal?.aborted) throw init.signal.reason;
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(url.pathname);
      if (m) return r.handler(req, m.slice(1));
    }
    return json(418, { message: `no fake route for ${method} ${url.pathname}` });
  };
}
