/**
 * A rate-limit governor per API token: it learns the vendor's budget from the response headers
 * (its {@link RateLimitBucket}) and paces calls so a burst does not trip a 429. Waiting calls
 * queue FIFO and are woken on the governor's clock when the bucket says the next may go. One
 * governor exists per (vendor, token) in the process: every client built with the same token
 * shares it (keyed by a hash, never the token).
 *
 * @example
 * const gov = governorFor(token, HETZNER_RATE_LIMIT);
 * const permit = await gov.acquire();
 * const res = await fetch(url);
 * permit.done(res); // learn from the headers
 */
import { Wakeup } from './wakeup.ts';
import { createHash } from 'node:crypto';
import { RateLimitBucket, type BucketState, type RateLimitResponse, type RateLimitVerdict } from './bucket.ts';
import { systemClock, type Clock } from './clock.ts';
import { insertAt, type ApiCallContext, type ApiLane } from './lanes.ts';
import type { RateLimitPolicy } from './policies.ts';
import { SharedGovernor, type Governor, type Permit, type SharedBudgetStore } from './shared-governor.ts';

export type { RateLimitResponse, RateLimitVerdict } from './bucket.ts';
export type { Governor, Permit, SharedBudgetStore } from './shared-governor.ts';

/** A snapshot of the governor's view, for logs and tests. */
export interface GovernorState extends BucketState {
  queued: number;
}

interface Waiter {
  lane: ApiLane;
  ctx?: ApiCallContext;
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Paces the calls of one token in this process. Use {@link governorFor} to share one per token. */
export class RateLimitGovernor implements Governor {
  readonly policy: RateLimitPolicy;
  private readonly clock: Clock;
  private readonly bucket: RateLimitBucket;
  private readonly queue: Waiter[] = [];
  private readonly wakeup: Wakeup;

  constructor(policy: RateLimitPolicy, opts: { clock?: Clock } = {}) {
    this.policy = policy;
    this.clock = opts.clock ?? systemClock;
    this.bucket = new RateLimitBucket(policy);
    this.wakeup = new Wakeup(this.clock, () => this.pump());
  }

  state(): GovernorState {
    return { ...this.bucket.state(this.clock.now()), queued: this.queue.length };
  }

  /** Wait for the right to send one request: by lane, FIFO within one; rejects if `signal` aborts while queued. */
  acquire(signal?: AbortSignal, ctx?: ApiCallContext): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { lane: ctx?.lane ?? 'create', ctx, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      const at = insertAt(this.queue, waiter.lane);
      this.queue.splice(at, 0, waiter);
      this.pump();
      if (this.queue.includes(waiter)) ctx?.onQueued?.({ vendor: this.policy.vendor, lane: waiter.lane, position: this.queue.indexOf(waiter) + 1, retryAt: Number.isFinite(this.wakeup.when) ? this.wakeup.when : null });
    });
  }

  private pump(): void {
    const now = this.clock.now();
    while (this.queue.length) {
      const next = this.bucket.nextGrantTime(now);
      if (next > now) {
        this.wakeup.at(next);
        return;
      }
      const waiter = this.queue.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.bucket.grant(now);
      waiter.resolve(this.makePermit());
    }
    this.wakeup.clear();
  }



  private makePermit(): Permit {
    let used = false;
    return {
      done: (response) => {
        if (used) return { limited: false, waitMs: 0 };
        used = true;
        const verdict = this.bucket.settle(this.clock.now(), response);
        this.pump();
        return verdict;
      },
    };
  }
}

const registry = new Map<string, RateLimitGovernor>();
const shared = new WeakMap<SharedBudgetStore, Map<string, SharedGovernor>>();

/**
 * A stable, non-reversible key for a token.
 *
 * @example
 * tokenKey('hetzner', token) // → 'hetzner:3f2a9c41d0b7e5a1c2d3e4f5'
 */
export function tokenKey(vendor: string, token: string): string {
  return `${vendor}:${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
}

/**
 * The process-wide governor for this vendor and token (created on first use). `key` is the raw
 * token (or another stable credential id, e.g. an OAuth client id); only its hash is kept.
 *
 * @example
 * governorFor(token, HETZNER_RATE_LIMIT) === governorFor(token, HETZNER_RATE_LIMIT) // → true
 */
export function governorFor(key: string, policy: RateLimitPolicy, opts?: { clock?: Clock; budget?: undefined }): RateLimitGovernor;
export function governorFor(key: string, policy: RateLimitPolicy, opts: { clock?: Clock; budget?: SharedBudgetStore }): Governor;
export function governorFor(key: string, policy: RateLimitPolicy, opts: { clock?: Clock; budget?: SharedBudgetStore } = {}): Governor {
  const id = tokenKey(policy.vendor, key);
  if (opts.budget) {
    // One vendor account, one bucket row shared by every replica (the row is keyed by the hash).
    let byKey = shared.get(opts.budget);
    if (!byKey) shared.set(opts.budget, (byKey = new Map()));
    let sg = byKey.get(id);
    if (!sg) byKey.set(id, (sg = new SharedGovernor(id, policy, opts.budget, opts.clock)));
    return sg;
  }
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
