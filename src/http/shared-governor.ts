/**
 * The governor of a token whose budget lives in the shared database (one row per vendor account,
 * see src/domain/api-budget.ts for the arithmetic): every replica takes its tokens from the same
 * row, so N replicas together stay inside the vendor's limit. Calls wait in this replica's line,
 * ordered by lane (urgent, create, list) and FIFO within a lane; the head asks the shared bucket
 * for a token and, when there is none for its lane, sleeps until the bucket says (polling at
 * least every second, since other replicas change the row too). A call that has to wait tells
 * its {@link ApiCallContext.onQueued} listener its position once.
 *
 * @example
 * const gov = new SharedGovernor(tokenKey('hetzner', token), HETZNER_RATE_LIMIT, store);
 * const permit = await gov.acquire(signal, { lane: 'create' });
 * permit.done(await fetch(url));
 */
import { Wakeup } from './wakeup.ts';
import { Coalesced } from '../domain/coalesce.ts';
import type { ApiLane, BudgetPolicy, CallOutcome } from '../domain/api-budget.ts';
import type { RateLimitResponse, RateLimitVerdict } from './bucket.ts';
import { systemClock, type Clock } from './clock.ts';
import { insertAt, type ApiCallContext } from './lanes.ts';
import type { RateLimitPolicy } from './policies.ts';
import { parseRateLimitHeaders } from './rate-limit-headers.ts';

/** The shared bucket rows (src/db/stores/api-budget.ts implements it on PostgreSQL/PGlite). */
export interface SharedBudgetStore {
  /** Spend one token of `key` for `lane` at `now`, atomically; else when to ask again. */
  take(key: string, lane: ApiLane, now: number, policy: BudgetPolicy): Promise<{ granted: boolean; retryAt: number }>;
  /** A granted call came back (null: no response): free its slot and learn from its headers. */
  settle(key: string, now: number, outcome: CallOutcome | null, policy: BudgetPolicy): Promise<void>;
}

/** The right to send one request; call `done` exactly once with its response (or null). */
export interface Permit {
  done(response: RateLimitResponse | null): RateLimitVerdict;
}

/** What the REST client needs of a governor, local or shared. */
export interface Governor {
  acquire(signal?: AbortSignal, ctx?: ApiCallContext): Promise<Permit>;
}

/** The shared arithmetic's view of a vendor's rate-limit policy. */
export function budgetPolicy(p: RateLimitPolicy): BudgetPolicy {
  return { vendor: p.vendor, reset: p.reset, initial: p.initial, ...(p.windows?.[0] ? { burst: p.windows[0] } : {}), ...(p.fallbackWaitMs ? { fallbackWaitMs: p.fallbackWaitMs } : {}) };
}

interface Waiter {
  lane: ApiLane;
  ctx?: ApiCallContext;
  notified: boolean;
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Longest sleep between two looks at the shared row (other replicas change it). */
const MAX_POLL_MS = 1000;
/** Wait after the database failed to answer. */
const STORE_RETRY_MS = 500;

/** Paces one vendor account's calls through the shared bucket. */
export class SharedGovernor implements Governor {
  private readonly line: Waiter[] = [];
  private readonly settling = new Set<Promise<void>>();
  private readonly budget: BudgetPolicy;
  private readonly pumper = new Coalesced(() => this.drain());
  private readonly wakeup: Wakeup;

  constructor(
    readonly key: string,
    readonly policy: RateLimitPolicy,
    private readonly store: SharedBudgetStore,
    private readonly clock: Clock = systemClock,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.budget = budgetPolicy(policy);
    this.wakeup = new Wakeup(clock, () => void this.pump());
  }

  /** Calls waiting in this replica, by lane. */
  waiting(): Record<ApiLane, number> {
    const n = { urgent: 0, create: 0, list: 0 };
    for (const w of this.line) n[w.lane]++;
    return n;
  }

  acquire(signal?: AbortSignal, ctx?: ApiCallContext): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const lane = ctx?.lane ?? 'create';
      const waiter: Waiter = { lane, ctx, notified: false, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.line.indexOf(waiter);
          if (i >= 0) this.line.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.line.splice(insertAt(this.line, lane), 0, waiter);
      void this.pump();
    });
  }

  private pump(): Promise<void> {
    return this.pumper.run();
  }

  /** Grant from the head while the bucket allows; false once a timer is set for the next look. */
  private async drain(): Promise<boolean> {
    while (this.line.length) {
      if (this.settling.size) await Promise.all([...this.settling]);
      const head = this.line[0];
      let d: { granted: boolean; retryAt: number };
      try {
        d = await this.store.take(this.key, head.lane, this.clock.now(), this.budget);
      } catch (err) {
        this.onError(err);
        this.wakeup.at(this.clock.now() + STORE_RETRY_MS);
        return false;
      }
      if (d.granted) {
        const i = this.line.indexOf(head);
        if (i < 0) {
          this.track(this.store.settle(this.key, this.clock.now(), null, this.budget)); // aborted meanwhile: give it back
          continue;
        }
        this.line.splice(i, 1);
        if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
        head.resolve(this.permit());
        continue;
      }
      this.notifyQueued(d.retryAt);
      this.wakeup.at(Math.min(d.retryAt, this.clock.now() + MAX_POLL_MS));
      return false;
    }
    this.wakeup.clear();
    return true;
  }

  private notifyQueued(retryAt: number): void {
    this.line.forEach((w, i) => {
      if (w.notified || !w.ctx?.onQueued) return;
      w.notified = true;
      try {
        w.ctx.onQueued({ vendor: this.policy.vendor, lane: w.lane, position: i + 1, retryAt });
      } catch (err) {
        this.onError(err);
      }
    });
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err) => this.onError(err)).finally(() => this.settling.delete(q));
    this.settling.add(q);
  }



  private permit(): Permit {
    let used = false;
    return {
      done: (response) => {
        if (used) return { limited: false, waitMs: 0 };
        used = true;
        const now = this.clock.now();
        const headers = response ? parseRateLimitHeaders(response.headers, now) : null;
        const outcome: CallOutcome | null = response && headers ? { status: response.status, headers } : null;
        this.track(this.store.settle(this.key, now, outcome, this.budget));
        void this.pump();
        const limited = response?.status === 429;
        return { limited, waitMs: limited ? (headers?.retryAfterMs ?? 0) : 0 };
      },
    };
  }
}
