/**
 * The one REST client behind the Hetzner, DigitalOcean and Tailscale clients: bearer auth
 * (a token or an async getter), a per-request timeout, vendor error bodies mapped to
 * {@link ProviderError} with the vendor's code (errors.ts), retries with jittered exponential
 * backoff for idempotent calls (retry.ts), 429 handling through the per-token
 * {@link RateLimitGovernor} (governor.ts), and a deadline per call (waits and retries included).
 * Lists are paged by pagination.ts, cloud actions awaited by actions.ts.
 *
 * @example
 * const api = new RestClient({ provider: 'hetzner', baseUrl: 'https://api.hetzner.cloud/v1', token, rateLimit: HETZNER_RATE_LIMIT });
 * const server = await api.getOrNull<{ server: HcloudServer }>(`/servers/${seg(id)}`);
 */
import { ProviderError } from '../domain/errors.ts';
import { sleep, systemClock, TimeoutSignal, type Clock } from './clock.ts';
import { isNotFound, isRetryable, parseVendorError } from './errors.ts';
import { governorFor, type Governor, type SharedBudgetStore } from './governor.ts';
import { callContext } from './lanes.ts';
import type { RateLimitPolicy } from './policies.ts';
import { backoffMs, isIdempotent, retryAfterMs, type Backoff } from './retry.ts';

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
  backoff?: Backoff;
  /** Rate-limit policy; the governor is shared per token. Null disables pacing. */
  rateLimit?: RateLimitPolicy | null;
  /** Governor key when `token` is a getter (e.g. the OAuth client id). Defaults to the token. */
  rateLimitKey?: string;
  /** Use this governor instead of the shared one. */
  governor?: Governor;
  /** Take the budget from this shared store (every replica's) instead of this process's bucket. */
  budget?: SharedBudgetStore;
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

/**
 * Encode one path segment.
 *
 * @example
 * `/servers/${seg('a/b')}` // → '/servers/a%2Fb'
 */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** A request's body and headers, built afresh for each attempt (a token getter may answer anew). */
interface Outgoing {
  headers: Record<string, string>;
  body: string | undefined;
}

export class RestClient {
  readonly provider: string;
  readonly baseUrl: string;
  private readonly opts: RestClientOptions;
  private readonly fetchImpl: FetchLike;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly governor: Governor | null;

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
      this.governor = governorFor(key, opts.rateLimit, { clock: this.clock, budget: opts.budget });
    } else this.governor = null;
  }

  /** Full URL for a path (and query). */
  url(path: string, query?: Query): string {
    return `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}${buildQuery(query)}`;
  }

  private backoffMs(attempt: number): number {
    return backoffMs(attempt, this.opts.backoff, this.random);
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

  /** Headers and body of one attempt; `token` is the bearer token (undefined: none). */
  private outgoing(ro: RequestOptions, token: string | undefined): Outgoing {
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...ro.headers };
    let body: string | undefined;
    if (ro.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(ro.form).toString();
    } else if (ro.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(ro.body);
    }
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return { headers, body };
  }

  private async attempts<T>(m: string, path: string, ro: RequestOptions, signal: AbortSignal, phase: { waiting: boolean }): Promise<RestResponse<T>> {
    const idempotent = isIdempotent(m, ro.safe === true);
    const maxRetries = this.opts.maxRetries ?? 3;
    const max429 = this.opts.maxRateLimitRetries ?? 5;
    const url = this.url(path, ro.query);
    let attempt = 0;
    let limited = 0;
    let reauthed = false;

    for (;;) {
      // Only a token getter is awaited: with a plain token the request starts in the caller's tick.
      const token = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
      const { headers, body } = this.outgoing(ro, token);
      phase.waiting = true;
      const permit = this.governor ? await this.governor.acquire(signal, callContext(m)) : null;
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
          phase.waiting = true;
          await sleep(this.clock, retryAfterMs(res.headers) ?? this.backoffMs(limited), signal);
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
        await sleep(this.clock, Math.max(this.backoffMs(attempt++), retryAfterMs(res.headers) ?? 0), signal);
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
