import { describe, expect, it } from 'vitest';
import { TokenBucket } from './bucket.ts';

describe('TokenBucket', () => {
  it('allows the burst at once, then the sustained rate, never more than the burst after a pause', () => {
    let now = 0;
    const b = new TokenBucket(10, 5, () => now);
    const takes = (n: number) => Array.from({ length: n }, () => b.take()).filter(Boolean).length;
    expect(takes(8)).toBe(5);
    now += 100; // 0.1 s at 10/s: one token
    expect(takes(3)).toBe(1);
    now += 60_000; // a long pause refills to the burst only
    expect(takes(20)).toBe(5);
  });
});
