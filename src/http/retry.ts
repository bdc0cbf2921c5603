/**
 * When the REST client tries again, and how long it waits first: jittered exponential backoff,
 * which calls are safe to repeat, and the server's `Retry-After`.
 *
 * @example
 * if (res.status >= 500 && isIdempotent('GET')) await sleep(clock, Math.max(backoffMs(attempt, {}), retryAfterMs(res.headers) ?? 0));
 */

/** Backoff: attempt n waits between ½ and 1 × min(maxMs, baseMs·2ⁿ). Default 500 ms / 10 s. */
export interface Backoff {
  baseMs?: number;
  maxMs?: number;
}

/**
 * The wait before retry number `attempt` (0-based): between ½ and 1 × min(maxMs, baseMs·2ⁿ),
 * placed by `random` in [0, 1).
 *
 * @example
 * backoffMs(1, { baseMs: 1000 }, () => 0.5) // → 1500
 */
export function backoffMs(attempt: number, backoff: Backoff = {}, random: () => number = Math.random): number {
  const base = backoff.baseMs ?? 500;
  const max = backoff.maxMs ?? 10_000;
  const cap = Math.min(max, base * 2 ** attempt);
  return Math.round(cap / 2 + (cap / 2) * random());
}

/**
 * Whether a call may be sent again after a 5xx or a network error: GET, HEAD and DELETE, or any
 * call its caller marked `safe`. (A 429 may always be retried: the request was not processed.)
 *
 * @example
 * isIdempotent('POST') // → false
 * isIdempotent('POST', true) // → true
 */
export function isIdempotent(method: string, safe = false): boolean {
  return safe || method === 'GET' || method === 'HEAD' || method === 'DELETE';
}

/**
 * `Retry-After` in whole seconds, as ms; null when absent, zero or not a number.
 *
 * @example
 * retryAfterMs(new Headers({ 'retry-after': '3' })) // → 3000
 */
export function retryAfterMs(headers: Headers): number | null {
  const ra = Number(headers.get('retry-after'));
  return Number.isFinite(ra) && ra > 0 ? ra * 1000 : null;
}
