import { describe, expect, it } from 'vitest';
import { backoffMs, isIdempotent, retryAfterMs } from './retry.ts';

describe('retry policy', () => {
  it('backs off exponentially between half and all of the cap', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs(n, { baseMs: 1000, maxMs: 60_000 }, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(3, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999)).toBe(8000);
    expect(backoffMs(20, {}, () => 1)).toBe(10_000);
  });

  it('repeats only calls that are safe to repeat', () => {
    expect(['GET', 'HEAD', 'DELETE', 'POST', 'PUT'].map((m) => isIdempotent(m))).toEqual([true, true, true, false, false]);
    expect(isIdempotent('POST', true)).toBe(true);
  });

  it('reads Retry-After in seconds, ignoring what is not a positive number', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0' }))).toBeNull();
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }))).toBeNull();
    expect(retryAfterMs(new Headers())).toBeNull();
  });
});
