/**
 * The one REST client behind the Hetzner, DigitalOcean and Tailscale clients: bearer auth
 * (a token or an async getter), a per-request timeout, vendor error bodies mapped to
 * {@link ProviderError} with the vendor's code, retries with jittered exponential backoff for
 * idempotent calls, 429 handling through the per-token {@link RateLimitGovernor}, a deadline per
 * call (waits and retries included), and the two pagination styles.
 *
 * @example
 * const api = new RestClient({ provider: 'hetzner', baseUrl: 'https://api.hetzner.cloud/v1', token, rateLimit: HETZNER_RATE_LIMIT });
 * const servers = await hetznerPages<HcloudServer>(api, '/servers', 'servers', { label_selector: 'a=b' });
 */
import { ProviderError } from '../domain/errors.ts';
import { governorFor, sleep, systemClock, type Clock, type RateLimitGovernor, type RateLimitPolicy } from './rate-limit.ts';

/** The subset of `fetch` the client uses; inject a fake in tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** A bearer token, or an async getter (OAuth access tokens that expire). */
export type TokenSource = string | (() => Promise<string>);

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export interface RestClientOptions {
  /** Provider name carried by errors: `hetzner`, `digital-ocean`, `tailscale`. */
  provider: string;
  /** Base URL including any version prefix, e.g. `https://api.hetzner.cloud/v1`. */
  baseUrl: string;
  /** Bearer token or async getter; omit for unauthenticated clients (OAuth token exchange). */
  token?: TokenSource;
  /** Called on a 401 when `token` is a getter; the request is then retried once. */
  onUnauthorized?: () => void;
  fetch?: FetchLike;
  /** Per-attempt timeout, ms. Default 30 s. */
  timeoutMs?: number;
  /**
   * Deadline for a whole call, ms: governor waits, attempts and backoff included. Past it the
   * call fails with a retryable ProviderError (`rate_limit_exceeded` while waiting for the
   * governor, else `timeout`). Default 60 s, so a call never outlives the engine's step that
   * made it (a step that expires is retried while the old call could still be queued: for a
   * create on DigitalOcean, where names are not unique, that would make a twin). 0: none.
   */
  deadlineMs?: number;
  /** Retries on 5xx/network errors for idempotent calls. Default 3. */
  maxRetries?: number;
  /** Retries after a 429 (any method: the request was not processed). Default 5. */
  maxRateLimitRetries?: number;
  /** Backoff: attempt n waits between ½ and 1 × min(maxMs, baseMs·2ⁿ). Default 500 ms / 10 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Rate-limit policy; the governor is shared per token. Null disables pacing. */
  rateLimit?: RateLimitPolicy | null;
  /** Governor key when `token` is a getter (e.g. the OAuth client id). Defaults to the token. */
  rateLimitKey?: string;
  /** Use this governor instead of the shared one. */
  governor?: RateLimitGovernor;
  clock?: Clock;
  /** Random source for jitter, [0, 1). */
  random?: () => number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  query?: Query;
  /** JSON body. */
  body?: unknown;
  /** `application/x-www-form-urlencoded` body. */
  form?: Record<string, string>;
  /** Retry this non-GET/DELETE call on 5xx/network errors too (it is safe to repeat). */
  safe?: boolean;
  timeoutMs?: number;
  /** Overrides the client's `deadlineMs` for this call. */
  deadlineMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface RestResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A vendor error body reduced to a code and a message. */
export interface VendorError {
  code: string;
  message: string;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  422: 'unprocessable_entity',
  423: 'locked',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'timeout',
};

function statusCode(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'server_error' : `http_${status}`);
}

/**
 * Map an error body to a code and message, whichever vendor sent it:
 * Hetzner `{error:{code,message}}`, DigitalOcean `{id,message}`, Tailscale `{message}`, and
 * RFC 9457 problem details (what Prism answers, with its `validation` list). Only those parsed
 * fields are kept (a code that is not a plain slug becomes one from the status; a message is cut
 * to 300 characters): a non-JSON or unexpected body gives `HTTP <status>` and nothing of its text,
 * since whatever answers at a configured endpoint reaches API responses and events this way.
 *
 * @example
 * parseVendorError(409, { error: { code: 'uniqueness_error', message: 'name used' } }) // → { code: 'uniqueness_error', message: 'name used' }
 * parseVendorError(502, '<html>…</html>') // → { code: 'bad_gateway', message: 'HTTP 502' }
 */
export function parseVendorError(status: number, body: unknown): VendorError {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const found = o ? vendorFields(status, o) : null;
  if (!found) return { code: statusCode(status), message: `HTTP ${status}` };
  const code = /^[A-Za-z0-9_.-]{1,64}$/.test(found.code) ? found.code : statusCode(status);
  const message = found.message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 300) || `HTTP ${status}`;
  return { code, message };
}

function vendorFields(status: number, o: Record<string, unknown>): VendorError | null {
  const err = o.error;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    if (typeof e.code === 'string') return { code: e.code, message: typeof e.message === 'string' ? e.message : e.code };
  }
  if (typeof o.id === 'string' && typeof o.message === 'string') return { code: o.id, message: o.message };
  if (typeof o.title === 'string' && typeof o.status === 'number') {
    const slug = typeof o.type === 'string' ? (o.type.split('#').pop() ?? '') : '';
    const code = /^[A-Z_]+$/.test(slug) ? slug.toLowerCase() : statusCode(status);
    const details = Array.isArray(o.validation)
      ? (o.validation as { location?: unknown; message?: unknown }[]).map((v) => `${Array.isArray(v?.location) ? v.location.join('.') : ''}: ${typeof v?.message === 'string' ? v.message : ''}`).join('; ')
      : '';
    return { code, message: [o.title, typeof o.detail === 'string' ? o.detail : '', details].filter(Boolean).join(' — ') };
  }
  if (typeof o.message === 'string') return { code: statusCode(status), message: o.message };
  if (typeof o.error === 'string') return { code: statusCode(status), message: o.error };
  return null;
}

const RETRYABLE_CODES = new Set(['conflict', 'locked', 'rate_limit_exceeded', 'resource_unavailable', 'server_error', 'unavailable', 'timeout', 'maintenance', 'too_many_requests']);

/** Whether a failed call may succeed later unchanged. */
export function isRetryable(status: number, code: string): boolean {
  return status === 429 || status >= 500 || status === 423 || RETRYABLE_CODES.has(code);
}

function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v == null) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Encode one path segment: `seg\`/servers/${seg(id)}\``. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

class TimeoutSignal {
  readonly controller = new AbortController();
  private cancel: () => void;
  timedOut = false;
  constructor(clock: Clock, ms: number) {
    if (!(ms > 0) || !Number.isFinite(ms)) {
      this.cancel = () => {};
      return;
    }
    this.cancel = clock.setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`timed out after ${ms} ms`));
    }, ms);
  }
  clear() {
    this.cancel();
  }
}

export class RestClient {
  readonly provider: string;
  readonly baseUrl: string;
  private readonly opts: RestClientOptions;
  private readonly fetchImpl: FetchLike;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly governor: RateLimitGovernor | null;

  constructor(opts: RestClientOptions) {
    this.opts = opts;
    this.provider = opts.provider;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? ((url, init) => fetch(url, init));
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    if (opts.governor) this.governor = opts.governor;
    else if (opts.rateLimit) {
      const key = opts.rateLimitKey ?? (typeof opts.token === 'string' ? opts.token : `${opts.baseUrl}#anonymous`);
      this.governor = governorFor(key, opts.rateLimit, { clock: this.clock });
    } else this.governor = null;
  }

  /** Full URL for a path (and query). */
  url(path: string, query?: Query): string {
    return `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}${buildQuery(query)}`;
  }

  private backoffMs(attempt: number): number {
    const base = this.opts.backoff?.baseMs ?? 500;
    const max = this.opts.backoff?.maxMs ?? 10_000;
    const cap = Math.min(max, base * 2 ** attempt);
    return Math.round(cap / 2 + (cap / 2) * this.random());
  }

  private error(code: string, message: string, status?: number, retryable = false): ProviderError {
    return new ProviderError(this.provider, code, message, status, retryable);
  }

  /**
   * Send one request. Resolves for 2xx with the parsed JSON body (undefined when empty); throws
   * ProviderError otherwise. GET/HEAD/DELETE (or `safe`) calls are retried on 5xx and network
   * errors; any call is retried after a 429.
   */
  async request<T = unknown>(method: string, path: string, ro: RequestOptions = {}): Promise<RestResponse<T>> {
    const m = method.toUpperCase();
    const deadlineMs = ro.deadlineMs ?? this.opts.deadlineMs ?? 60_000;
    const deadline = new TimeoutSignal(this.clock, deadlineMs);
    const signal = ro.signal ? AbortSignal.any([ro.signal, deadline.controller.signal]) : deadline.controller.signal;
    const phase = { waiting: false };
    try {
      return await this.attempts<T>(m, path, ro, signal, phase);
    } catch (err) {
      if (deadline.timedOut && !ro.signal?.aborted) {
        const code = phase.waiting ? 'rate_limit_exceeded' : 'timeout';
        const why = phase.waiting ? 'still waiting for the rate limit' : 'attempts and backoff took too long';
        throw this.error(code, `${m} ${path}: gave up after ${deadlineMs} ms (${why})`, err instanceof ProviderError ? err.httpStatus : undefined, true);
      }
      throw err;
    } finally {
      deadline.clear();
    }
  }

  private async attempts<T>(m: string, path: string, ro: RequestOptions, signal: AbortSignal, phase: { waiting: boolean }): Promise<RestResponse<T>> {
    const idempotent = ro.safe === true || m === 'GET' || m === 'HEAD' || m === 'DELETE';
    const maxRetries = this.opts.maxRetries ?? 3;
    const max429 = this.opts.maxRateLimitRetries ?? 5;
    const url = this.url(path, ro.query);
    let attempt = 0;
    let limited = 0;
    let reauthed = false;

    for (;;) {
      const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...ro.headers };
      let body: string | undefined;
      if (ro.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(ro.form).toString();
      } else if (ro.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(ro.body);
      }
      if (this.opts.token !== undefined) {
        const token = typeof this.opts.token === 'string' ? this.opts.token : await this.opts.token();
        headers.authorization = `Bearer ${token}`;
      }

      phase.waiting = true;
      const permit = this.governor ? await this.governor.acquire(signal) : null;
      phase.waiting = false;
      const timeout = new TimeoutSignal(this.clock, ro.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
      const attemptSignal = AbortSignal.any([signal, timeout.controller.signal]);
      let res: Response;
      let text: string;
      try {
        res = await this.fetchImpl(url, { method: m, headers, body, signal: attemptSignal });
        text = await res.text();
      } catch (err) {
        timeout.clear();
        permit?.done(null);
        if (signal.aborted) throw signal.reason;
        const code = timeout.timedOut ? 'timeout' : 'network_error';
        const message = `${m} ${path}: ${timeout.timedOut ? 'timed out' : (err as Error)?.message ?? String(err)}`;
        if (idempotent && attempt < maxRetries) {
          await sleep(this.clock, this.backoffMs(attempt++), signal);
          continue;
        }
        throw this.error(code, message, undefined, true);
      }
      timeout.clear();
      const verdict = permit?.done(res) ?? null;

      let parsed: unknown = undefined;
      let parseFailed = false;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parseFailed = true;
        }
      }

      if (res.ok) {
        if (parseFailed && (res.headers.get('content-type') ?? '').includes('json')) {
          throw this.error('invalid_response', `${m} ${path}: response is not JSON`, res.status);
        }
        return { status: res.status, headers: res.headers, body: (parseFailed ? text : parsed) as T };
      }

      const vendor = parseVendorError(res.status, parseFailed ? undefined : parsed);
      if (res.status === 429 && limited < max429) {
        limited++;
        if (!verdict) {
          const ra = Number(res.headers.get('retry-after'));
          phase.waiting = true;
          await sleep(this.clock, Number.isFinite(ra) && ra > 0 ? ra * 1000 : this.backoffMs(limited), signal);
          phase.waiting = false;
        }
        continue; // the governor holds the next acquire until the limit has recovered
      }
      if (res.status === 401 && typeof this.opts.token === 'function' && this.opts.onUnauthorized && !reauthed) {
        reauthed = true;
        this.opts.onUnauthorized();
        continue;
      }
      if (res.status >= 500 && idempotent && attempt < maxRetries) {
        const ra = Number(res.headers.get('retry-after'));
        const wait = Math.max(this.backoffMs(attempt++), Number.isFinite(ra) && ra > 0 ? ra * 1000 : 0);
        await sleep(this.clock, wait, signal);
        continue;
      }
      throw this.error(vendor.code, `${m} ${path}: ${vendor.message}`, res.status, isRetryable(res.status, vendor.code));
    }
  }

  async get<T>(path: string, ro?: RequestOptions): Promise<T> {
    return (await this.request<T>('GET', path, ro)).body;
  }

  async post<T>(path: string, body?: unknown, ro?: RequestOptions): Promise<T> {
    return (await this.request<T>('POST', path, { ...ro, body })).body;
  }

  async put<T>(path: string, body?: unknown, ro?: RequestOptions): Promise<T> {
    return (await this.request<T>('PUT', path, { ...ro, body })).body;
  }

  async delete<T = unknown>(path: string, ro?: RequestOptions): Promise<T> {
    return (await this.request<T>('DELETE', path, ro)).body;
  }

  /** GET that answers null for a 404 (the resource does not exist). */
  async getOrNull<T>(path: string, ro?: RequestOptions): Promise<T | null> {
    try {
      return await this.get<T>(path, ro);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** DELETE where a 404 counts as done. True when something was deleted. */
  async deleteIfExists(path: string, ro?: RequestOptions): Promise<boolean> {
    try {
      await this.delete(path, ro);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.httpStatus === 404;
}

export interface PageOptions {
  perPage?: number;
  /** Stop after this many pages (a guard against servers that never end). Default 1000. */
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * Every item of a paginated list endpoint: `key` holds the items, `nextPage` reads the next page
 * number from a response (null at the end). Stops on a page that does not move forward.
 */
async function allPages<T>(client: RestClient, path: string, key: string, query: Query, po: PageOptions, maxPerPage: number, nextPage: (body: Record<string, unknown> | undefined) => number | null): Promise<T[]> {
  const perPage = Math.min(maxPerPage, Math.max(1, po.perPage ?? maxPerPage));
  const out: T[] = [];
  let page = 1;
  for (let i = 0; i < (po.maxPages ?? 1000); i++) {
    const body = await client.get<Record<string, unknown>>(path, { query: { ...query, page, per_page: perPage }, signal: po.signal });
    const items = body?.[key];
    if (Array.isArray(items)) out.push(...(items as T[]));
    const next = nextPage(body);
    if (next === null || !Number.isInteger(next) || next <= page) break;
    page = next;
  }
  return out;
}

/**
 * Every item of a Hetzner list endpoint, following `meta.pagination.next_page`
 * (`per_page` ≤ 50).
 */
export function hetznerPages<T>(client: RestClient, path: string, key: string, query: Query = {}, po: PageOptions = {}): Promise<T[]> {
  return allPages<T>(client, path, key, query, po, 50, (body) => {
    const next = (body?.meta as { pagination?: { next_page?: unknown } } | undefined)?.pagination?.next_page;
    return typeof next === 'number' ? next : null;
  });
}

/**
 * Every item of a DigitalOcean list endpoint, following `links.pages.next` (`per_page` ≤ 200).
 * Only the page number is taken from the next link, so the base URL stays ours.
 */
export function digitalOceanPages<T>(client: RestClient, path: string, key: string, query: Query = {}, po: PageOptions = {}): Promise<T[]> {
  return allPages<T>(client, path, key, query, po, 200, (body) => {
    const link = (body?.links as { pages?: { next?: unknown } } | undefined)?.pages?.next;
    if (typeof link !== 'string') return null;
    try {
      return Number(new URL(link, 'http://x').searchParams.get('page'));
    } catch {
      return null;
    }
  });
}

/** What a cloud provider's options say about its REST client. */
export interface CloudClientOptions {
  token: string;
  baseUrl?: string;
  fetch?: RestClientOptions['fetch'];
  timeoutMs?: number;
  rest?: Partial<RestClientOptions>;
}

/**
 * The REST client of a cloud provider: its default endpoint and rate limit, overridden by the
 * provider's options (`rest` last, for tests).
 *
 * @example
 * this.api = cloudClient('hetzner', HETZNER_DEFAULT_ENDPOINT, HETZNER_RATE_LIMIT, opts, clock);
 */
export function cloudClient(provider: string, defaultBaseUrl: string, rateLimit: RestClientOptions['rateLimit'], opts: CloudClientOptions, clock: RestClientOptions['clock']): RestClient {
  return new RestClient({ provider, baseUrl: opts.baseUrl ?? defaultBaseUrl, token: opts.token, fetch: opts.fetch, clock, timeoutMs: opts.timeoutMs, rateLimit, ...opts.rest });
}

/** How to wait for one cloud's asynchronous actions. */
export interface ActionPoll<A> {
  provider: string;
  clock: Clock;
  timeoutMs: number;
  poll?: { initialMs?: number; maxMs?: number };
  signal?: AbortSignal;
  get: (id: number) => Promise<A>;
  /** 'done', an error to throw (the action failed), or null while it runs. */
  outcome: (a: A) => 'done' | Error | null;
  /** `action 12 (create_image) still running`, for the timeout error. */
  describe: (a: A) => string;
}

/**
 * Poll an action with backoff (×1.5 up to `poll.maxMs`) until it is done; a failed action throws
 * its error, one still running after `timeoutMs` throws a retryable `action_timeout`.
 *
 * @example
 * await pollAction(action, { provider: 'hetzner', clock, timeoutMs, get, outcome, describe });
 */
export async function pollAction<A extends { id: number }>(first: A | number, o: ActionPoll<A>): Promise<A> {
  const deadline = o.clock.now() + o.timeoutMs;
  let delay = o.poll?.initialMs ?? 1000;
  const maxDelay = o.poll?.maxMs ?? 10_000;
  let current = typeof first === 'number' ? await o.get(first) : first;
  for (;;) {
    const out = o.outcome(current);
    if (out === 'done') return current;
    if (out) throw out;
    const left = deadline - o.clock.now();
    if (left <= 0) throw new ProviderError(o.provider, 'action_timeout', `${o.describe(current)} after ${o.timeoutMs} ms`, undefined, true);
    await sleep(o.clock, Math.min(delay, left), o.signal);
    delay = Math.min(maxDelay, Math.round(delay * 1.5));
    current = await o.get(current.id);
  }
}
