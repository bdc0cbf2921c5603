/**
 * A rate-limit governor per API token: it learns the vendor's budget from the response headers
 * and paces calls so a burst does not trip a 429. One governor exists per (vendor, token) in the
 * process: every client built with the same token shares it (keyed by a hash, never the token).
 *
 * How it paces (see {@link RateLimitGovernor}):
 * 1. Nothing known yet (first call, or just after a 429): one probe call at a time, until a
 *    response tells the budget.
 * 2. Learned: a local copy of the server's bucket. `tokens` is the server's last reported
 *    `remaining` minus every call still in flight, and a call goes only when `tokens >= 1`.
 *    - `reset: 'full'` (Hetzner: `RateLimit-Reset` is when the bucket is full again, refilling
 *      gradually): refill rate = (limit − remaining) / (reset − now), learned from every response.
 *    - `reset: 'oldest'` (DigitalOcean: `ratelimit-reset` is when the oldest counted request
 *      expires, a sliding hour): no refill is assumed before the reset; at the reset the governor
 *      probes again.
 * 3. Low (tokens ≤ lowWater × limit): calls are spread evenly instead of bursting. With
 *    remaining R, reset in T and learned refill r, at most R + r·T calls go over T.
 * 4. Limits the vendor enforces but does not advertise in headers (DigitalOcean's 250/minute)
 *    are kept locally as sliding windows, which are safe against fixed windows, sliding windows
 *    and token buckets of the same size.
 * 5. A 429 that still arrives (another process spent the budget) blocks the governor until
 *    `retry-after`, or the reset (for a refilling bucket: until one request is back), then probes.
 *
 * @example
 * const gov = governorFor(token, HETZNER_RATE_LIMIT);
 * const permit = await gov.acquire();
 * const res = await fetch(url);
 * permit.done(res); // learn from the headers
 */
import { createHash } from 'node:crypto';

/** Time source and timers; injectable so tests run on a fake clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` after `ms`; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** Sleep on a clock; rejects with the signal's reason when aborted. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A fake clock for tests: time moves only when told to. `advance` fires due timers in order and
 * lets promise chains settle between them.
 *
 * @example
 * const clock = new ManualClock();
 * const result = await clock.run(somethingThatSleeps());
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.at > end) break;
      this.fire(next);
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Jump to the next timer and fire it (and any due at the same instant). False when none. */
  async tick(): Promise<boolean> {
    await flushMicrotasks();
    const next = this.nextTimer();
    if (!next) return false;
    this.fire(next);
    await flushMicrotasks();
    return true;
  }

  /** Drive time until `promise` settles (at most `maxMs` of fake time). */
  async run<T>(promise: Promise<T>, maxMs = 24 * 3600_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    const limit = this.t + maxMs;
    await flushMicrotasks();
    while (!settled) {
      const next = this.nextTimer();
      if (!next) throw new Error('ManualClock.run: nothing scheduled but the promise is still pending');
      if (next.at > limit) throw new Error(`ManualClock.run: still pending after ${maxMs} ms of fake time`);
      this.fire(next);
      await flushMicrotasks();
    }
    return tracked;
  }

  private nextTimer() {
    let best: (typeof this.timers)[number] | undefined;
    for (const x of this.timers) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best;
  }

  private fire(timer: { at: number; fn: () => void }) {
    this.timers = this.timers.filter((x) => x !== timer);
    if (timer.at > this.t) this.t = timer.at;
    timer.fn();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** What a vendor's rate limit looks like and what to assume before the first response. */
export interface RateLimitPolicy {
  /** Vendor name, part of the registry key. */
  vendor: string;
  /**
   * Meaning of the reset header: `full` = the bucket is full again then and refills gradually
   * (Hetzner); `oldest` = the oldest counted request expires then (DigitalOcean's sliding hour).
   */
  reset: 'full' | 'oldest';
  /** Assumed budget when the server sends no rate-limit headers at all. */
  initial: { limit: number; windowMs: number };
  /** Limits enforced but not advertised in headers; kept locally as sliding windows. */
  windows?: { limit: number; windowMs: number }[];
  /** Fraction of the limit below which calls are spread until the reset. Default 0.1. */
  lowWater?: number;
  /** Wait after a 429 that carries neither `retry-after` nor a usable reset. Default 1000 ms. */
  fallbackWaitMs?: number;
}

/** Hetzner Cloud: 3600 requests/hour per project, refilled one per second. */
export const HETZNER_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'hetzner',
  reset: 'full',
  initial: { limit: 3600, windowMs: 3600_000 },
};

/** DigitalOcean: 5000 requests/hour (sliding, advertised) and 250/minute (burst, not advertised). */
export const DIGITALOCEAN_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'digital-ocean',
  reset: 'oldest',
  initial: { limit: 5000, windowMs: 3600_000 },
  windows: [{ limit: 250, windowMs: 60_000 }],
};

/** Tailscale publishes no numbers or headers; Hangar's call volume is tiny, so stay modest. */
export const TAILSCALE_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'tailscale',
  reset: 'full',
  initial: { limit: 100, windowMs: 60_000 },
};

/** The parts of a response the governor reads. */
export interface RateLimitResponse {
  status: number;
  headers: Headers;
}

/** What the governor concluded from one response. */
export interface RateLimitVerdict {
  /** The response was a 429: the request was not processed and may be sent again. */
  limited: boolean;
  /** For a 429: how long the governor will hold calls back. */
  waitMs: number;
}

/** The right to send one request; call `done` exactly once with its response (or null). */
export interface Permit {
  done(response: RateLimitResponse | null): RateLimitVerdict;
}

/** Rate-limit headers as read from one response, with the reset as a local epoch in ms. */
export interface RateLimitHeaders {
  limit: number;
  remaining: number;
  /** Local time (ms) of the reset, corrected by the server's `Date` when it sent one. */
  resetAt: number | null;
  /** From `retry-after` (seconds or an HTTP date), in ms. */
  retryAfterMs: number | null;
}

function num(v: string | null): number | null {
  if (v == null || v.trim() === '') return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

/**
 * Parse `RateLimit-Limit/-Remaining/-Reset` (any case) and `Retry-After`. A reset below 10⁹ is
 * read as seconds from now (the IETF draft), otherwise as a unix timestamp; when the server sends
 * `Date`, the reset is taken relative to it so clock skew does not matter.
 */
export function parseRateLimitHeaders(headers: Headers, now: number): RateLimitHeaders | { retryAfterMs: number | null } {
  let retryAfterMs: number | null = null;
  const ra = headers.get('retry-after');
  if (ra) {
    const secs = num(ra);
    if (secs != null) retryAfterMs = Math.max(0, secs * 1000);
    else {
      const at = Date.parse(ra);
      if (Number.isFinite(at)) retryAfterMs = Math.max(0, at - now);
    }
  }
  const limit = num(headers.get('ratelimit-limit'));
  const remaining = num(headers.get('ratelimit-remaining'));
  if (limit == null || remaining == null || limit <= 0) return { retryAfterMs };
  const reset = num(headers.get('ratelimit-reset'));
  let resetAt: number | null = null;
  if (reset != null) {
    if (reset < 1e9) resetAt = now + reset * 1000;
    else {
      const serverNow = Date.parse(headers.get('date') ?? '');
      resetAt = Number.isFinite(serverNow) ? now + (reset * 1000 - serverNow) : reset * 1000;
    }
  }
  return { limit, remaining: Math.max(0, remaining), resetAt, retryAfterMs };
}

interface Waiter {
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Reset headers have one-second resolution: assume the reset may be up to this much later. */
const RESET_SLACK_MS = 1000;

/** A snapshot of the governor's view, for logs and tests. */
export interface GovernorState {
  mode: 'unknown' | 'learned' | 'assumed';
  limit: number;
  tokens: number;
  ratePerSecond: number;
  resetAt: number | null;
  inFlight: number;
  queued: number;
  blockedUntil: number;
}

/** Paces the calls of one token. Use {@link governorFor} to share one per token. */
export class RateLimitGovernor {
  readonly policy: RateLimitPolicy;
  private readonly clock: Clock;
  private mode: 'unknown' | 'learned' | 'assumed' = 'unknown';
  private semantics: 'full' | 'oldest';
  private limit: number;
  private tokens = 0;
  private at = 0;
  private rate = 0; // tokens per ms
  private resetAt: number | null = null;
  private inFlight = 0;
  private blockedUntil = 0;
  private consecutive429 = 0;
  private lastGrantAt = -Infinity;
  private readonly logs: number[][];
  private readonly queue: Waiter[] = [];
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;

  constructor(policy: RateLimitPolicy, opts: { clock?: Clock } = {}) {
    this.policy = policy;
    this.clock = opts.clock ?? systemClock;
    this.semantics = policy.reset;
    this.limit = policy.initial.limit;
    this.logs = (policy.windows ?? []).map(() => []);
  }

  state(): GovernorState {
    const now = this.clock.now();
    return {
      mode: this.mode,
      limit: this.limit,
      tokens: this.mode === 'unknown' ? 0 : this.tokensAt(now),
      ratePerSecond: this.rate * 1000,
      resetAt: this.resetAt,
      inFlight: this.inFlight,
      queued: this.queue.length,
      blockedUntil: this.blockedUntil,
    };
  }

  /** Wait for the right to send one request. FIFO; rejects if `signal` aborts while queued. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  private tokensAt(now: number): number {
    const refilled = this.tokens + this.rate * Math.max(0, now - this.at);
    return Math.min(refilled, this.limit - this.inFlight);
  }

  /** Earliest time a call may go; Infinity = only after an in-flight response arrives. */
  private nextGrantTime(now: number): number {
    let t = Math.max(now, this.blockedUntil);
    for (let i = 0; i < this.logs.length; i++) {
      const w = this.policy.windows![i];
      const log = this.logs[i];
      while (log.length && log[0] <= now - w.windowMs) log.shift();
      if (log.length >= w.limit) t = Math.max(t, log[log.length - w.limit] + w.windowMs);
    }
    if (t > now) return t;

    // A sliding window whose oldest request has expired: what we knew is stale, probe again.
    if (this.mode !== 'unknown' && this.semantics === 'oldest' && this.tokensAt(now) < 1) {
      if (this.resetAt == null || now >= this.resetAt + RESET_SLACK_MS) this.mode = 'unknown';
      else return this.resetAt + RESET_SLACK_MS;
    }
    if (this.mode === 'unknown') return this.inFlight > 0 ? Infinity : now;

    const tokens = this.tokensAt(now);
    if (tokens < 1) {
      if (this.rate > 0) return now + Math.ceil((1 - tokens) / this.rate);
      return this.inFlight > 0 ? Infinity : now + (this.policy.fallbackWaitMs ?? 1000);
    }
    const lowWater = Math.max(1, Math.floor((this.policy.lowWater ?? 0.1) * this.limit));
    if (tokens <= lowWater && this.resetAt != null && this.resetAt > now) {
      const horizon = this.resetAt + RESET_SLACK_MS - now;
      const budget = tokens + this.rate * horizon;
      const spacing = horizon / Math.max(1, budget);
      return Math.max(now, this.lastGrantAt + spacing);
    }
    return now;
  }

  private pump(): void {
    const now = this.clock.now();
    while (this.queue.length) {
      const next = this.nextGrantTime(now);
      if (next > now) {
        this.schedule(next);
        return;
      }
      const waiter = this.queue.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.grant(now);
      waiter.resolve(this.makePermit());
    }
    this.clearTimer();
  }

  private schedule(at: number): void {
    if (!Number.isFinite(at)) {
      this.clearTimer();
      return;
    }
    if (this.cancelTimer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.cancelTimer = this.clock.setTimeout(() => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.pump();
    }, at - this.clock.now());
  }

  private clearTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = Infinity;
  }

  private grant(now: number): void {
    if (this.mode !== 'unknown') {
      this.tokens = this.tokensAt(now) - 1;
      this.at = now;
    }
    this.inFlight++;
    this.lastGrantAt = now;
    for (const log of this.logs) log.push(now);
  }

  private makePermit(): Permit {
    let used = false;
    return {
      done: (response) => {
        if (used) return { limited: false, waitMs: 0 };
        used = true;
        return this.observe(response);
      },
    };
  }

  private observe(response: RateLimitResponse | null): RateLimitVerdict {
    const now = this.clock.now();
    this.inFlight = Math.max(0, this.inFlight - 1);
    let verdict: RateLimitVerdict = { limited: false, waitMs: 0 };
    if (response) {
      const h = parseRateLimitHeaders(response.headers, now);
      if (response.status === 429) {
        verdict = { limited: true, waitMs: this.on429(now, h) };
      } else {
        this.consecutive429 = 0;
        if ('limit' in h) this.learn(now, h);
        else if (this.mode === 'unknown') this.assume(now);
      }
    }
    this.pump();
    return verdict;
  }

  private learn(now: number, h: RateLimitHeaders): void {
    const prevRate = this.rate;
    this.limit = h.limit;
    this.resetAt = h.resetAt != null && h.resetAt > now ? h.resetAt : null;
    this.tokens = h.remaining - this.inFlight;
    this.at = now;
    if (this.semantics === 'full') {
      const missing = h.limit - h.remaining;
      if (this.resetAt != null && missing > 0) this.rate = missing / (this.resetAt + RESET_SLACK_MS - now);
      else this.rate = prevRate > 0 ? prevRate : this.policy.initial.limit / this.policy.initial.windowMs;
    } else {
      this.rate = 0;
      if (this.resetAt == null) this.resetAt = now; // stale or absent reset: spend what is left, then probe
    }
    this.mode = 'learned';
  }

  /** The server sends no headers: fall back to the configured budget as a token bucket. */
  private assume(now: number): void {
    this.mode = 'assumed';
    this.semantics = 'full';
    this.limit = this.policy.initial.limit;
    this.tokens = this.limit - 1 - this.inFlight; // the probe that just answered counted too
    this.rate = this.policy.initial.limit / this.policy.initial.windowMs;
    this.resetAt = null;
    this.at = now;
  }

  private on429(now: number, h: RateLimitHeaders | { retryAfterMs: number | null }): number {
    this.consecutive429++;
    let wait: number;
    if (h.retryAfterMs != null) wait = h.retryAfterMs;
    else if ('limit' in h && h.resetAt != null && h.resetAt > now) {
      const until = h.resetAt + RESET_SLACK_MS - now;
      // A refilling bucket has one request back after until/limit; a sliding window at the reset.
      wait = this.policy.reset === 'full' ? Math.max(1000, Math.ceil(until / Math.max(1, h.limit))) : until;
    } else wait = (this.policy.fallbackWaitMs ?? 1000) * 2 ** Math.min(6, this.consecutive429 - 1);
    this.blockedUntil = Math.max(this.blockedUntil, now + wait);
    this.mode = 'unknown';
    this.semantics = this.policy.reset;
    this.tokens = 0;
    this.at = now;
    return Math.max(0, this.blockedUntil - now);
  }
}

const registry = new Map<string, RateLimitGovernor>();

/** A stable, non-reversible key for a token. */
export function tokenKey(vendor: string, token: string): string {
  return `${vendor}:${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
}

/**
 * The process-wide governor for this vendor and token (created on first use). `key` is the raw
 * token (or another stable credential id, e.g. an OAuth client id); only its hash is kept.
 */
export function governorFor(key: string, policy: RateLimitPolicy, opts: { clock?: Clock } = {}): RateLimitGovernor {
  const id = tokenKey(policy.vendor, key);
  let gov = registry.get(id);
  if (!gov) {
    gov = new RateLimitGovernor(policy, opts);
    registry.set(id, gov);
  }
  return gov;
}

/** Forget every shared governor (tests). */
export function resetGovernors(): void {
  registry.clear();
}
