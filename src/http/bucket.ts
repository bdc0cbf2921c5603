/**
 * The governor's local copy of one token's budget on the server: how many calls may go now, when
 * the next one may, and what each response taught. Pure bookkeeping over time: the caller passes
 * `now`, and {@link RateLimitGovernor} queues the waiting calls and wakes them.
 *
 * 1. Nothing known yet (first call, or just after a 429): one probe call at a time, until a
 *    response tells the budget.
 * 2. Learned: `tokens` is the server's last reported `remaining` minus every call still in
 *    flight, and a call goes only when `tokens >= 1`.
 *    - `reset: 'full'` (Hetzner: `RateLimit-Reset` is when the bucket is full again, refilling
 *      gradually): refill rate = (limit − remaining) / (reset − now), learned from every response.
 *    - `reset: 'oldest'` (DigitalOcean: `ratelimit-reset` is when the oldest counted request
 *      expires, a sliding hour): no refill is assumed before the reset; at the reset it probes again.
 * 3. Low (tokens ≤ lowWater × limit): calls are spread evenly instead of bursting. With
 *    remaining R, reset in T and learned refill r, at most R + r·T calls go over T.
 * 4. Limits the vendor enforces but does not advertise in headers (DigitalOcean's 250/minute)
 *    are kept locally as sliding windows, which are safe against fixed windows, sliding windows
 *    and token buckets of the same size.
 * 5. A 429 that still arrives (another process spent the budget) blocks until `retry-after`, or
 *    the reset (for a refilling bucket: until one request is back), then probes.
 *
 * @example
 * const bucket = new RateLimitBucket(HETZNER_RATE_LIMIT);
 * if (bucket.nextGrantTime(now) <= now) bucket.grant(now);
 * bucket.settle(clock.now(), response); // learn from its headers
 */
import type { RateLimitPolicy } from './policies.ts';
import { parseRateLimitHeaders, type RateLimitHeaders } from './rate-limit-headers.ts';

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

/** A snapshot of the bucket, for logs and tests. */
export interface BucketState {
  mode: 'unknown' | 'learned' | 'assumed';
  limit: number;
  tokens: number;
  ratePerSecond: number;
  resetAt: number | null;
  inFlight: number;
  blockedUntil: number;
}

/** Reset headers have one-second resolution: assume the reset may be up to this much later. */
const RESET_SLACK_MS = 1000;

/** One token's budget as far as this process knows it (see the module comment). */
export class RateLimitBucket {
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

  constructor(private readonly policy: RateLimitPolicy) {
    this.semantics = policy.reset;
    this.limit = policy.initial.limit;
    this.logs = (policy.windows ?? []).map(() => []);
  }

  state(now: number): BucketState {
    return {
      mode: this.mode,
      limit: this.limit,
      tokens: this.mode === 'unknown' ? 0 : this.tokensAt(now),
      ratePerSecond: this.rate * 1000,
      resetAt: this.resetAt,
      inFlight: this.inFlight,
      blockedUntil: this.blockedUntil,
    };
  }

  private tokensAt(now: number): number {
    const refilled = this.tokens + this.rate * Math.max(0, now - this.at);
    return Math.min(refilled, this.limit - this.inFlight);
  }

  /** Earliest time a call may go; Infinity = only after an in-flight response arrives. */
  nextGrantTime(now: number): number {
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
      // With an unadvertised burst limit (DigitalOcean's 250/minute), remaining 0 may come from
      // it: probe again after the burst window rather than at the hourly reset.
      const burstMs = this.policy.windows?.length ? Math.max(...this.policy.windows.map((w) => w.windowMs)) : Infinity;
      const probeAt = Math.min(this.resetAt == null ? now : this.resetAt + RESET_SLACK_MS, this.at + burstMs);
      if (now >= probeAt) this.mode = 'unknown';
      else return probeAt;
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

  /** Count one call as sent at `now`. */
  grant(now: number): void {
    if (this.mode !== 'unknown') {
      this.tokens = this.tokensAt(now) - 1;
      this.at = now;
    }
    this.inFlight++;
    this.lastGrantAt = now;
    for (const log of this.logs) log.push(now);
  }

  /** A call came back (`null`: no response, e.g. a network error): learn from its headers. */
  settle(now: number, response: RateLimitResponse | null): RateLimitVerdict {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!response) return { limited: false, waitMs: 0 };
    const h = parseRateLimitHeaders(response.headers, now);
    if (response.status === 429) return { limited: true, waitMs: this.on429(now, h) };
    this.consecutive429 = 0;
    if ('limit' in h) this.learn(now, h);
    else if (this.mode === 'unknown') this.assume(now);
    return { limited: false, waitMs: 0 };
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
