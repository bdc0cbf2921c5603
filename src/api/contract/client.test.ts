import { describe, expect, it } from 'vitest';
import { body, createApiClient } from './client.ts';
import { ApiError, NetworkError, problemOf } from './errors.ts';

const BASE = 'http://hangar.test';
const json = (v: unknown, status = 200, type = 'application/json; charset=utf-8') => new Response(JSON.stringify(v), { status, headers: { 'content-type': type } });

/** A client whose fetch records each request and answers with `answer`. */
function fake(answer: (r: Request) => Response | Promise<Response>, apiKey: string | (() => string | null) = 'hgr_k') {
  const seen: Request[] = [];
  const api = createApiClient({ baseUrl: `${BASE}/`, apiKey, fetch: async (r) => (seen.push(r), answer(r)) });
  return { api, seen };
}

describe('createApiClient', () => {
  it('sends the bearer key (read at each call), JSON accept, typed path and query; returns the body', async () => {
    let key: string | null = 'hgr_one';
    const { api, seen } = fake(() => json({ items: [], nextCursor: null }), () => key);
    expect(await body(api.GET('/v1/instances', { params: { query: { limit: 5, status: '', cursor: undefined } } }))).toEqual({ items: [], nextCursor: null });
    key = null;
    await body(api.GET('/v1/instances/{id}', { params: { path: { id: 'a/b' } } }));
    expect(seen.map((r) => [r.method, r.url, r.headers.get('authorization'), r.headers.get('accept')])).toEqual([
      ['GET', `${BASE}/v1/instances?limit=5`, 'Bearer hgr_one', 'application/json'],
      ['GET', `${BASE}/v1/instances/a%2Fb`, null, 'application/json'],
    ]);
  });

  it('a call may bring its own key and headers (sign-in check, Idempotency-Key)', async () => {
    const { api, seen } = fake(() => json({}, 201));
    await api.POST('/v1/instances', { params: { header: { 'Idempotency-Key': 'k1' } }, body: { provider: 'local' }, headers: { authorization: 'Bearer hgr_other' } });
    expect(seen[0].headers.get('authorization')).toBe('Bearer hgr_other');
    expect(seen[0].headers.get('idempotency-key')).toBe('k1');
    expect(seen[0].headers.get('content-type')).toBe('application/json');
    expect(await seen[0].json()).toEqual({ provider: 'local' });
  });

  it('turns problem details into ApiError with its fields', async () => {
    const problem = { type: 'https://hangar.dev/problems/validation', title: 'Bad Request', status: 400, detail: 'invalid body: name: bad', errors: [{ field: 'name', message: 'bad' }] };
    const { api } = fake(() => json(problem, 400, 'application/problem+json'));
    const err = await api.GET('/v1/instances').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: 'invalid body: name: bad', problem, fieldErrors: problem.errors });
  });

  it('makes problem details up for an error that sent none (a proxy page)', async () => {
    const { api } = fake(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } }));
    const err = (await api.GET('/v1/providers').catch((e: unknown) => e)) as ApiError;
    expect(err.problem).toEqual({ type: 'about:blank', title: 'Bad Gateway', status: 502, detail: 'HTTP 502 Bad Gateway: <html>bad gateway</html>' });
  });

  it('a 2xx that is not JSON is a Bad response naming the server', async () => {
    const { api } = fake(() => new Response('<!doctype html><p>hello</p>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const err = (await api.GET('/v1/providers').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem).toMatchObject({ title: 'Bad response', status: 200, detail: `the server at ${BASE} did not answer with JSON (is this a Hangar server?)` });
  });

  it('a 204 resolves with no body', async () => {
    const { api } = fake(() => new Response(null, { status: 204 }));
    expect(await body(api.DELETE('/v1/ssh-hosts/{ref}', { params: { path: { ref: 'h1' } } }))).toBeUndefined();
  });

  it('an unreachable server is a NetworkError with the cause fetch hides; an abort stays an abort', async () => {
    const refused = fake(() => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })));
    const err = await refused.api.GET('/v1/instances').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toBe(`cannot reach Hangar at ${BASE} (ECONNREFUSED)`);
    const aborted = fake((r) => new Promise((_, reject) => (r.signal.aborted ? reject(r.signal.reason) : r.signal.addEventListener('abort', () => reject(r.signal.reason)))));
    const ctrl = new AbortController();
    const call = aborted.api.GET('/v1/instances', { signal: ctrl.signal });
    ctrl.abort();
    expect(await call.catch((e: unknown) => (e as Error).name)).toBe('AbortError');
  });

  it('streams an SSE body untouched (parseAs: stream)', async () => {
    const { api, seen } = fake(() => new Response('id: 1\ndata: {}\n\n', { headers: { 'content-type': 'text/event-stream' } }));
    const { data } = await api.GET('/v1/events', { params: { header: { 'Last-Event-ID': '41' } }, headers: { accept: 'text/event-stream' }, parseAs: 'stream' });
    expect(await new Response(data).text()).toBe('id: 1\ndata: {}\n\n');
    expect(seen[0].headers.get('last-event-id')).toBe('41');
    expect(seen[0].headers.get('accept')).toBe('text/event-stream');
  });
});

describe('problemOf', () => {
  it('completes a partial problem and keeps only the RFC 9457 members the clients show', () => {
    expect(problemOf(409, 'Conflict', { title: 'Conflict', code: 'x' })).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'Conflict' });
    expect(problemOf(500, 'Internal Server Error', '')).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'HTTP 500 Internal Server Error' });
  });
});
