/**
 * The rate-limit headers of one response: `RateLimit-Limit/-Remaining/-Reset` (any case; Hetzner
 * and DigitalOcean both send them) and `Retry-After`.
 *
 * @example
 * parseRateLimitHeaders(res.headers, Date.now()) // → { limit: 3600, remaining: 3599, resetAt: 1767225601000, retryAfterMs: null }
 */

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
 * `Date`, the reset is taken relative to it so clock skew does not matter. Without a usable
 * limit and remaining only `retryAfterMs` is known.
 *
 * @example
 * parseRateLimitHeaders(new Headers({ 'ratelimit-limit': '10', 'ratelimit-remaining': '3', 'ratelimit-reset': '7' }), 1_000_000)
 * // → { limit: 10, remaining: 3, resetAt: 1_007_000, retryAfterMs: null }
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
