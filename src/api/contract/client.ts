import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ApiError, causeOf, isAbort, NetworkError, problemOf } from './errors.ts';
import type { paths } from './schema.d.ts';

/** The typed client of the whole API: `api.GET('/v1/instances/{id}', { params: { path: { id } } })`. */
export type ApiClient = Client<paths, 'application/json'>;

export interface ApiClientOptions {
  /** Where the API is: `http://127.0.0.1:7070`, or a page's own origin. */
  baseUrl: string;
  /** The bearer key: fixed, or read at each request (a browser session). Nothing is sent without one. */
  apiKey?: string | (() => string | null | undefined);
  /** The project to act in (`X-Hangar-Project`; an admin key's choice, a project key's own): fixed, or read at each request. */
  project?: string | (() => string | null | undefined);
  /** Defaults to the global fetch, looked up at each request. */
  fetch?: (request: Request) => Promise<Response>;
  /** Request options for every call, e.g. `{ cache: 'no-store' }` in a browser. */
  init?: Pick<RequestInit, 'cache' | 'credentials' | 'mode' | 'redirect'>;
}

/**
 * A typed client over openapi-fetch for the generated contract (schema.d.ts). Every call sends
 * `Authorization: Bearer <key>` (unless the call sets its own) and `Accept: application/json`;
 * an error answer rejects with {@link ApiError} (its problem details), a 2xx that is not JSON
 * with an ApiError titled `Bad response`, an unreachable server with {@link NetworkError}; an
 * aborted call rejects with the abort's own error. So a call's `data` is there when it resolves:
 * read it with {@link body}.
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:7070', apiKey: 'hgr_…' });
 * const inst = await body(api.GET('/v1/instances/{id}', { params: { path: { id } } }));
 */
export function createApiClient(opts: ApiClientOptions): ApiClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const client = createClient<paths, 'application/json'>({
    ...opts.init,
    baseUrl,
    fetch: opts.fetch ?? ((request: Request) => globalThis.fetch(request)),
    headers: { accept: 'application/json' },
    // Like URLSearchParams: only the values given (an empty filter is no filter).
    querySerializer: (q: Record<string, unknown>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
      return p.toString();
    },
  });
  client.use(contractMiddleware(baseUrl, opts.apiKey, opts.project));
  return client;
}

/** Bearer key in; problem details, non-JSON answers and network failures out as typed errors. */
function contractMiddleware(baseUrl: string, apiKey: ApiClientOptions['apiKey'], project?: ApiClientOptions['project']): Middleware {
  return {
    onRequest({ request }) {
      const key = typeof apiKey === 'function' ? apiKey() : apiKey;
      if (key && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${key}`);
      const p = typeof project === 'function' ? project() : project;
      if (p && !request.headers.has('x-hangar-project')) request.headers.set('x-hangar-project', p);
      return request;
    },
    async onResponse({ response, options }) {
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: the text is the detail */
        }
        throw new ApiError(response.status, problemOf(response.status, response.statusText, parsed));
      }
      if (options.parseAs !== 'json' || response.status === 204) return response;
      const text = await response.clone().text();
      try {
        if (text) JSON.parse(text);
      } catch {
        throw new ApiError(response.status, { type: 'about:blank', title: 'Bad response', status: response.status, detail: `the server at ${baseUrl} did not answer with JSON (is this a Hangar server?)` });
      }
      return response;
    },
    onError({ error }) {
      if (isAbort(error) || error instanceof ApiError) return undefined;
      return new NetworkError(baseUrl, causeOf(error));
    },
  };
}

/**
 * The body of a call that resolved (the client's middleware turned every failure into an error).
 *
 * @example
 * const page = await body(api.GET('/v1/instances', { params: { query: { limit: 10 } } }));
 */
export async function body<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  return (await call).data as T;
}
