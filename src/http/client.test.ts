import { describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../domain/errors.ts';
import { RestClient, type RestClientOptions } from './client.ts';
import { ManualClock } from './clock.testing.ts';
import { parseVendorError } from './errors.ts';
import { FakeApi, json } from './fake-api.testing.ts';
import { RateLimitGovernor } from './governor.ts';
import type { RateLimitPolicy } from './policies.ts';

function make(api: FakeApi, clock = new ManualClock(), o: Partial<RestClientOptions> = {}) {
  return new RestClient({ provider: 'hetzner', baseUrl: 'http://api.test/v1/', token: 'tok', fetch: api.fetch, clock, rateLimit: null, random: () => 0, ...o });
}

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

describe('RestClient basics', () => {
  it('sends bearer auth, JSON bodies and repeated array query params under the base path', async () => {
    const api = new FakeApi().on('POST', '/v1/things', (req) => json(201, { got: req.body, q: req.url.searchParams.getAll('type') }));
    const res = await make(api).request<{ got: unknown; q: string[] }>('POST', '/things', { body: { a: 1 }, query: { type: ['system', 'snapshot'], skip: undefined } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ got: { a: 1 }, q: ['system', 'snapshot'] });
    const req = api.requests[0];
    expect(req.headers.get('authorization')).toBe('Bearer tok');
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.url.search).toBe('?type=system&type=snapshot');
  });

  it('asks an async token getter for every request', async () => {
    const api = new FakeApi().on('GET', '/v1/x', (req) => json(200, { auth: req.headers.get('authorization') }));
    let n = 0;
    const c = make(api, undefined, { token: async () => `t${++n}` });
    expect(await c.get('/x')).toEqual({ auth: 'Bearer t1' });
    expect(await c.get('/x')).toEqual({ auth: 'Bearer t2' });
  });

  it('sends a form body when asked', async () => {
    const api = new FakeApi().on('POST', '/v1/oauth/token', (req) => json(200, { form: req.body, ct: req.headers.get('content-type') }));
    const res = await make(api, undefined, { token: undefined }).post<{ form: unknown; ct: string }>('/oauth/token', undefined, { form: { a: 'b c' } });
    expect(res).toEqual({ form: { a: 'b c' }, ct: 'application/x-www-form-urlencoded' });
    expect(api.requests[0].headers.get('authorization')).toBeNull();
  });

  it('answers undefined for 204 and empty bodies', async () => {
    const api = new FakeApi().on('DELETE', /^\/v1\/x\/\d+$/, () => json(204));
    expect(await make(api).delete('/x/1')).toBeUndefined();
  });

  it('getOrNull and deleteIfExists treat 404 as absence', async () => {
    const api = new FakeApi()
      .on('GET', '/v1/gone', () => json(404, { error: { code: 'not_found', message: 'nope' } }))
      .on('DELETE', '/v1/gone', () => json(404, { id: 'not_found', message: 'nope' }));
    const c = make(api);
    expect(await c.getOrNull('/gone')).toBeNull();
    expect(await c.deleteIfExists('/gone')).toBe(false);
  });
});

describe('error answers', () => {
  it('keeps the Hetzner code', async () => {
    const api = new FakeApi().on('POST', '/v1/servers', () => json(409, { error: { code: 'uniqueness_error', message: 'server name is already used', details: {} } }));
    const err = await caught(make(api).post('/servers', { name: 'a' }));
    expect(err).toMatchObject({ provider: 'hetzner', code: 'uniqueness_error', httpStatus: 409, retryable: false });
    expect(err.message).toContain('server name is already used');
  });

  it('echoes nothing of a non-JSON or unexpected error body: only the vendor fields, or the HTTP status', async () => {
    // What an endpoint that is not the vendor's answers (an internal page, a metadata service).
    const secret = 'root:x:0:0 internal-admin-console aws_secret_access_key=AKIA';
    const api = new FakeApi()
      .on('GET', '/v1/html', () => new Response(`<html>${secret}</html>`, { status: 500, headers: { 'content-type': 'text/html' } }))
      .on('POST', '/v1/odd', () => json(400, { data: secret, nested: { message: secret } }))
      .on('POST', '/v1/list', () => json(403, [secret]))
      .on('POST', '/v1/code', () => json(409, { error: { code: `${secret} <script>`, message: 'name used\n\u0007again' } }));
    const client = make(api, new ManualClock(), { maxRetries: 0 });
    const html = await caught(client.get('/html'));
    expect(html).toMatchObject({ code: 'server_error', httpStatus: 500 });
    expect(html.message).toBe('hetzner: server_error: GET /html: HTTP 500');
    for (const path of ['/odd', '/list']) {
      const e = await caught(client.post(path));
      expect(e.message).not.toContain('AKIA');
      expect(e.message).toMatch(/HTTP 40[03]$/);
    }
    const odd = await caught(client.post('/code'));
    expect(odd).toMatchObject({ code: 'conflict', httpStatus: 409 });
    expect(odd.message).not.toContain('AKIA');
    expect(odd.message).toContain('name used again');
    expect(parseVendorError(400, { message: 'x'.repeat(5000) }).message).toHaveLength(300);
  });

  it('marks rate limits, locks and server errors retryable', async () => {
    const api = new FakeApi().on('POST', '/v1/a', () => json(423, { error: { code: 'locked', message: 'action running' } }));
    expect(await caught(make(api).post('/a'))).toMatchObject({ code: 'locked', retryable: true });
  });
});

describe('retries', () => {
  it('retries a GET on 5xx with jittered exponential backoff', async () => {
    const clock = new ManualClock();
    let n = 0;
    const times: number[] = [];
    const api = new FakeApi().on('GET', '/v1/x', () => {
      times.push(clock.now());
      return ++n < 3 ? json(503, { error: { code: 'unavailable', message: 'busy' } }) : json(200, { ok: n });
    });
    const c = make(api, clock, { random: () => 0.5, backoff: { baseMs: 1000, maxMs: 60_000 } });
    expect(await clock.run(c.get('/x'))).toEqual({ ok: 3 });
    // attempt 0 waits ½..1 × 1000 → 750 with random 0.5; attempt 1 ½..1 × 2000 → 1500.
    expect(times.map((t) => t - times[0])).toEqual([0, 750, 2250]);
  });

  it('gives up after maxRetries and reports the vendor error as retryable', async () => {
    const clock = new ManualClock();
    const api = new FakeApi().on('GET', '/v1/x', () => json(500, { error: { code: 'server_error', message: 'boom' } }));
    const err = await clock.run(caught(make(api, clock, { maxRetries: 2 }).get('/x')));
    expect(err).toMatchObject({ code: 'server_error', httpStatus: 500, retryable: true });
    expect(api.requests).toHaveLength(3);
  });

  it('does not retry a POST on 5xx unless marked safe', async () => {
    const clock = new ManualClock();
    const api = new FakeApi().on('POST', '/v1/x', () => json(503, { error: { code: 'unavailable', message: 'busy' } }));
    const c = make(api, clock);
    expect(await clock.run(caught(c.post('/x', {})))).toMatchObject({ code: 'unavailable' });
    expect(api.requests).toHaveLength(1);
    await clock.run(caught(c.post('/x', {}, { safe: true })));
    expect(api.requests).toHaveLength(1 + 4);
  });

  it('retries network errors for GET but not for POST', async () => {
    const clock = new ManualClock();
    let n = 0;
    const c = make(new FakeApi(), clock, {
      fetch: async (url, init) => {
        n++;
        if (init.method === 'GET' && n === 3) return json(200, { ok: true });
        throw new TypeError('fetch failed');
      },
    });
    expect(await clock.run(c.get('/x'))).toEqual({ ok: true });
    n = 0;
    expect(await clock.run(caught(c.post('/x', {})))).toMatchObject({ code: 'network_error', retryable: true });
    expect(n).toBe(1);
  });

  it('times out a hung request and retries it when idempotent', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const hang = async (_url: string, init: RequestInit) => {
      calls++;
      return new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    };
    const c = make(new FakeApi(), clock, { fetch: hang, timeoutMs: 5000, maxRetries: 1 });
    const err = await clock.run(caught(c.get('/slow')));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(calls).toBe(2);
  });

  it("rethrows the caller's abort instead of wrapping it", async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const c = make(new FakeApi(), clock, {
      fetch: async (_url, init) => new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))),
    });
    const p = c.get('/x', { signal: ac.signal });
    ac.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
  });

  it('retries any method after a 429, waiting retry-after when no governor is set', async () => {
    const clock = new ManualClock();
    let n = 0;
    const api = new FakeApi().on('POST', '/v1/servers', () =>
      ++n === 1 ? json(429, { error: { code: 'rate_limit_exceeded', message: 'slow down' } }, { 'retry-after': '3' }) : json(201, { n }),
    );
    const t0 = clock.now();
    expect(await clock.run(make(api, clock).post('/servers', {}))).toEqual({ n: 2 });
    expect(clock.now() - t0).toBe(3000);
  });

  it('retries a 429 through the governor, which holds the call until the reset', async () => {
    const clock = new ManualClock();
    const policy: RateLimitPolicy = { vendor: 'v', reset: 'oldest', initial: { limit: 100, windowMs: 60_000 } };
    const governor = new RateLimitGovernor(policy, { clock });
    let n = 0;
    const resetAt = Math.floor(clock.now() / 1000) + 10;
    const api = new FakeApi().on('POST', '/v1/x', () =>
      ++n === 1
        ? json(429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, { 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': String(resetAt) })
        : json(201, { n }, { 'ratelimit-limit': '100', 'ratelimit-remaining': '99' }),
    );
    const t0 = clock.now();
    expect(await clock.run(make(api, clock, { governor }).post('/x', {}))).toEqual({ n: 2 });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(10_000);
  });

  it('gives up on 429 after maxRateLimitRetries with rate_limit_exceeded', async () => {
    const clock = new ManualClock();
    const api = new FakeApi().on('GET', '/v1/x', () => json(429, { error: { code: 'rate_limit_exceeded', message: 'limit' } }, { 'retry-after': '1' }));
    const err = await clock.run(caught(make(api, clock, { maxRateLimitRetries: 2 }).get('/x')));
    expect(err).toMatchObject({ code: 'rate_limit_exceeded', httpStatus: 429, retryable: true });
    expect(api.requests).toHaveLength(3);
  });

  it('gives up waiting for the governor at the call deadline: retryable rate_limit_exceeded, and leaves the queue', async () => {
    const clock = new ManualClock();
    const policy: RateLimitPolicy = { vendor: 'v', reset: 'oldest', initial: { limit: 100, windowMs: 60_000 } };
    const governor = new RateLimitGovernor(policy, { clock });
    const resetAt = Math.floor(clock.now() / 1000) + 600; // the budget is back in 10 minutes
    let n = 0;
    const api = new FakeApi().on('POST', '/v1/x', () =>
      ++n === 1
        ? json(429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, { 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': String(resetAt) })
        : json(201, { n }, { 'ratelimit-limit': '100', 'ratelimit-remaining': '99' }),
    );
    const c = make(api, clock, { governor, deadlineMs: 60_000 });
    const t0 = clock.now();
    const err = await clock.run(caught(c.post('/x', {})));
    expect(err).toMatchObject({ code: 'rate_limit_exceeded', retryable: true });
    expect(err.message).toMatch(/gave up after 60000 ms \(still waiting for the rate limit\)/);
    expect(clock.now() - t0).toBe(60_000);
    expect(api.requests).toHaveLength(1);
    expect(governor.state().queued).toBe(0);
    // A later call (a retried engine step) goes once the budget is back.
    expect(await clock.run(make(api, clock, { governor, deadlineMs: 0 }).post('/x', {}))).toEqual({ n: 2 });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(600_000);
  });

  it('gives up on 5xx retries at the call deadline with a retryable timeout', async () => {
    const clock = new ManualClock();
    const api = new FakeApi().on('GET', '/v1/x', () => json(503, { error: { code: 'unavailable', message: 'busy' } }));
    const c = make(api, clock, { deadlineMs: 5000, maxRetries: 10, backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 1 });
    const err = await clock.run(caught(c.get('/x')));
    expect(err).toMatchObject({ code: 'timeout', retryable: true, httpStatus: undefined });
    // waits 1 s, 2 s, then the 4 s wait is cut short by the 5 s deadline
    expect(api.requests).toHaveLength(3);
  });

  it('on 401 with a token getter, invalidates and retries once', async () => {
    let token = 'old';
    const onUnauthorized = vi.fn(() => {
      token = 'new';
    });
    const api = new FakeApi().on('GET', '/v1/x', (req) =>
      req.headers.get('authorization') === 'Bearer new' ? json(200, { ok: true }) : json(401, { message: 'expired' }),
    );
    const c = make(api, undefined, { token: async () => token, onUnauthorized });
    expect(await c.get('/x')).toEqual({ ok: true });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    token = 'bad';
    onUnauthorized.mockImplementation(() => undefined);
    expect(await caught(c.get('/x'))).toMatchObject({ code: 'unauthorized', httpStatus: 401 });
  });
});

