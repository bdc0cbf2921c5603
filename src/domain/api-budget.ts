/**
 * The shared cloud-API budget of one vendor account, as pure arithmetic over a plain state
 * object: every replica keeps the same state in one database row (src/db/stores/api-budget.ts
 * locks it, applies these functions, writes it back), so the replicas spend one budget.
 *
 * - A token bucket: `tokens` refilled at `rate` per ms up to `limit`, learned from the vendor's
 *   `RateLimit-Limit/-Remaining/-Reset` headers (`full` reset: Hetzner, refilling; `oldest`:
 *   DigitalOcean's sliding hour, no refill before the reset).
 * - Priority lanes: `urgent` (delete, reconcile) may spend the last token; `create` leaves
 *   {@link LANE_RESERVE}.create of the limit for urgent calls; `list` (list/refresh) leaves more.
 * - A burst bucket for a limit the vendor enforces but advertises only by `remaining: 0`
 *   (DigitalOcean's 250/minute): capacity c and refill r with c + r·window ≤ the limit, so it
 *   is safe against a sliding window of that size.
 * - A `remaining: 0` on an `oldest` bucket with a burst limit waits at most the burst window
 *   (or `retry-after`), never the hourly reset.
 *
 * @example
 * let s = initialBudget(HETZNER_BUDGET, now);
 * const d = takeToken(s, 'create', now); // { granted: true, state } or { granted: false, retryAt }
 * if (d.granted) s = settleCall(d.state, now, { status: 200, headers: { limit: 3600, remaining: 3599, resetAt: now + 1000, retryAfterMs: null } }, HETZNER_BUDGET);
 */

/** Priority lanes, most urgent first. */
export const API_LANES = ['urgent', 'create', 'list'] as const;
export type ApiLane = (typeof API_LANES)[number];

/** Share of the limit a lane leaves untouched for the lanes before it. */
export const LANE_RESERVE: Record<ApiLane, number> = { urgent: 0, create: 0.02, list: 0.1 };

/** What a vendor's budget looks like before the first response (from src/http/policies.ts). */
export interface BudgetPolicy {
  vendor: string;
  reset: 'full' | 'oldest';
  initial: { limit: number; windowMs: number };
  /** An enforced limit not advertised in headers (DigitalOcean's 250/minute). */
  burst?: { limit: number; windowMs: number };
  /** Wait after a 429 without `retry-after` nor a usable reset. Default 1000 ms. */
  fallbackWaitMs?: number;
}

/** The rate-limit headers of one response (parsed by src/http/rate-limit-headers.ts). */
export interface BudgetHeaders {
  limit?: number;
  remaining?: number;
  resetAt?: number | null;
  retryAfterMs: number | null;
}

/** One vendor account's budget, shared by every replica (JSON in one row). */
export interface BudgetState {
  vendor: string;
  /** unknown: one probe at a time; learned: from headers; assumed: the server sends none. */
  mode: 'unknown' | 'learned' | 'assumed';
  semantics: 'full' | 'oldest';
  limit: number;
  tokens: number;
  /** Refill per ms. */
  rate: number;
  /** When `tokens` was computed (ms). */
  at: number;
  resetAt: number | null;
  blockedUntil: number;
  /** Calls granted and not yet answered, by every replica. */
  inFlight: number;
  burst: { capacity: number; rate: number; tokens: number; at: number; windowMs: number } | null;
  granted: Record<ApiLane, number>;
  limited: number;
}

/** Reset headers have one-second resolution: assume the reset may be up to this much later. */
const RESET_SLACK_MS = 1000;
/**
 * In-flight calls are forgotten when the budget has not changed for this long (a replica died
 * holding them): a granted call is one attempt, cut at the REST client's 30 s attempt timeout.
 */
const IN_FLIGHT_STALE_MS = 45_000;
/** While the budget is unknown, look again this often for the probe's answer. */
const PROBE_POLL_MS = 200;
/** Share of a burst limit available at once; the rest refills over the window. */
const BURST_CAPACITY_SHARE = 0.2;

/**
 * A fresh budget: unknown until the first response (one probe at a time).
 *
 * @example
 * initialBudget({ vendor: 'hetzner', reset: 'full', initial: { limit: 3600, windowMs: 3600_000 } }, now).mode // → 'unknown'
 */
export function initialBudget(policy: BudgetPolicy, now: number): BudgetState {
  let burst: BudgetState['burst'] = null;
  if (policy.burst) {
    const capacity = Math.max(1, Math.floor(policy.burst.limit * BURST_CAPACITY_SHARE));
    burst = { capacity, rate: (policy.burst.limit - capacity) / policy.burst.windowMs, tokens: capacity, at: now, windowMs: policy.burst.windowMs };
  }
  return {
    vendor: policy.vendor,
    mode: 'unknown',
    semantics: policy.reset,
    limit: policy.initial.limit,
    tokens: 0,
    rate: 0,
    at: now,
    resetAt: null,
    blockedUntil: 0,
    inFlight: 0,
    burst,
    granted: { urgent: 0, create: 0, list: 0 },
    limited: 0,
  };
}

/**
 * Tokens available at `now` (refilled, minus calls in flight).
 *
 * @example
 * availableTokens({ ...s, tokens: 5, rate: 0.001, at: 0, limit: 10, inFlight: 0 }, 2000) // → 7
 */
export function availableTokens(s: BudgetState, now: number): number {
  if (s.mode === 'unknown') return 0;
  const refilled = s.tokens + s.rate * Math.max(0, now - s.at);
  return Math.min(refilled, s.limit - s.inFlight);
}

function burstTokens(s: BudgetState, now: number): number {
  if (!s.burst) return Infinity;
  return Math.min(s.burst.capacity, s.burst.tokens + s.burst.rate * Math.max(0, now - s.burst.at));
}

/** Tokens a lane must leave in the bucket. */
export function laneReserve(lane: ApiLane, limit: number): number {
  return Math.floor(LANE_RESERVE[lane] * limit);
}

export type TakeDecision = { granted: true; state: BudgetState } | { granted: false; retryAt: number; state: BudgetState };

/**
 * Spend one token for a call of `lane` at `now`, or say when to ask again.
 *
 * @example
 * const d = takeToken(state, 'urgent', now); if (!d.granted) wakeAt(d.retryAt);
 */
export function takeToken(s: BudgetState, lane: ApiLane, now: number): TakeDecision {
  if (s.inFlight > 0 && now - s.at > IN_FLIGHT_STALE_MS) s = { ...s, inFlight: 0 };
  if (now < s.blockedUntil) return { granted: false, retryAt: s.blockedUntil, state: s };
  const bt = burstTokens(s, now);
  if (bt < 1) return { granted: false, retryAt: now + Math.ceil((1 - bt) / s.burst!.rate), state: s };

  let tokens = availableTokens(s, now);
  let mode = s.mode;
  if (mode === 'unknown') {
    if (s.inFlight > 0) return { granted: false, retryAt: now + PROBE_POLL_MS, state: s };
    tokens = 1; // the probe
  } else if (tokens < 1 + laneReserve(lane, s.limit) && s.rate === 0) {
    // A sliding window (or a burst) at zero: probe again at the reset, or after the burst window.
    const probeAt = zeroWaitUntil(s);
    if (now < probeAt) return { granted: false, retryAt: probeAt, state: s };
    if (s.inFlight > 0) return { granted: false, retryAt: now + PROBE_POLL_MS, state: s };
    tokens = 1;
    mode = 'unknown';
  }
  const need = 1 + (mode === 'unknown' ? 0 : laneReserve(lane, s.limit));
  if (tokens < need) {
    const retryAt = s.rate > 0 ? now + Math.max(1, Math.ceil((need - tokens) / s.rate)) : zeroWaitUntil(s);
    return { granted: false, retryAt: Math.max(retryAt, now + 1), state: s };
  }
  const burst = s.burst ? { ...s.burst, tokens: bt - 1, at: now } : null;
  const next: BudgetState = {
    ...s,
    mode,
    tokens: mode === 'unknown' ? 0 : tokens - 1,
    at: now,
    inFlight: s.inFlight + 1,
    burst,
    granted: { ...s.granted, [lane]: s.granted[lane] + 1 },
  };
  return { granted: true, state: next };
}

/** When a zero bucket without refill may probe: the reset, but no later than the burst window. */
function zeroWaitUntil(s: BudgetState): number {
  const reset = (s.resetAt ?? s.at) + RESET_SLACK_MS;
  return s.burst ? Math.min(reset, s.at + s.burst.windowMs) : reset;
}

/** The outcome of one granted call: its status and rate-limit headers, or null (no response). */
export interface CallOutcome {
  status: number;
  headers: BudgetHeaders;
}

/**
 * A granted call came back: free its in-flight slot and learn from its headers (or its 429).
 *
 * @example
 * state = settleCall(state, now, { status: 429, headers: { retryAfterMs: 29_000 } }, DO_BUDGET);
 */
export function settleCall(s: BudgetState, now: number, outcome: CallOutcome | null, policy: BudgetPolicy): BudgetState {
  const inFlight = Math.max(0, s.inFlight - 1);
  const base = { ...s, inFlight };
  if (!outcome) return base;
  const h = outcome.headers;
  if (outcome.status === 429) return on429(base, now, h, policy);
  if (h.limit == null || h.remaining == null) {
    if (s.mode !== 'unknown') return base;
    return { ...base, mode: 'assumed', semantics: 'full', limit: policy.initial.limit, tokens: policy.initial.limit - 1, rate: policy.initial.limit / policy.initial.windowMs, resetAt: null, at: now };
  }
  const resetAt = h.resetAt != null && h.resetAt > now ? h.resetAt : null;
  const tokens = h.remaining - inFlight;
  let rate = 0;
  if (s.semantics === 'full') {
    const missing = h.limit - h.remaining;
    if (resetAt != null && missing > 0) rate = missing / (resetAt + RESET_SLACK_MS - now);
    else rate = s.rate > 0 ? s.rate : policy.initial.limit / policy.initial.windowMs;
  }
  return { ...base, mode: 'learned', limit: h.limit, tokens, rate, resetAt: resetAt ?? (s.semantics === 'oldest' ? now : null), at: now };
}

function on429(s: BudgetState, now: number, h: BudgetHeaders, policy: BudgetPolicy): BudgetState {
  let wait: number;
  if (h.retryAfterMs != null) wait = h.retryAfterMs;
  else if (h.limit != null && h.resetAt != null && h.resetAt > now) {
    const until = h.resetAt + RESET_SLACK_MS - now;
    if (policy.reset === 'full') wait = Math.max(1000, Math.ceil(until / Math.max(1, h.limit)));
    else wait = policy.burst ? Math.min(until, policy.burst.windowMs) : until;
  } else wait = policy.fallbackWaitMs ?? 1000;
  return { ...s, mode: 'unknown', semantics: policy.reset, tokens: 0, at: now, blockedUntil: Math.max(s.blockedUntil, now + wait), limited: s.limited + 1 };
}
