import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from './rate-limit-headers.ts';

describe('parseRateLimitHeaders', () => {
  it('reads Hetzner headers, taking the reset relative to the server Date', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    // Server clock runs 30 s ahead of ours; reset is 100 s after the server's now.
    const serverNow = now + 30_000;
    const h = new Headers({
      'RateLimit-Limit': '3600',
      'RateLimit-Remaining': '3500',
      'RateLimit-Reset': String(serverNow / 1000 + 100),
      Date: new Date(serverNow).toUTCString(),
    });
    expect(parseRateLimitHeaders(h, now)).toEqual({ limit: 3600, remaining: 3500, resetAt: now + 100_000, retryAfterMs: null });
  });

  it('reads DigitalOcean headers and retry-after, in seconds or as a date', () => {
    const now = Date.UTC(2026, 0, 1);
    const h = new Headers({ 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(now / 1000 + 60), 'retry-after': '29' });
    expect(parseRateLimitHeaders(h, now)).toEqual({ limit: 5000, remaining: 0, resetAt: now + 60_000, retryAfterMs: 29_000 });
    const d = new Headers({ 'retry-after': new Date(now + 5000).toUTCString() });
    expect(parseRateLimitHeaders(d, now)).toEqual({ retryAfterMs: 5000 });
  });

  it('reads a small reset as seconds from now (IETF draft style)', () => {
    const h = new Headers({ 'ratelimit-limit': '10', 'ratelimit-remaining': '3', 'ratelimit-reset': '7' });
    expect(parseRateLimitHeaders(h, 1_000_000)).toMatchObject({ resetAt: 1_007_000 });
  });
});

