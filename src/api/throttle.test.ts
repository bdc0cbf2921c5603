import { describe, expect, it } from 'vitest';
import { FailureThrottle } from './throttle.ts';

describe('FailureThrottle', () => {
  it('blocks a source after N failures within a minute, then lets it in again', () => {
    let now = 1_000_000;
    const t = new FailureThrottle(3, () => now);
    t.fail('a');
    t.fail('a');
    expect(t.blocked('a')).toBe(false);
    t.fail('a');
    expect(t.blocked('a')).toBe(true);
    expect(t.blocked('b')).toBe(false);
    now += 60_001;
    expect(t.blocked('a')).toBe(false);
  });

  it('forgets the oldest source beyond its bound', () => {
    const t = new FailureThrottle(1, () => 0, 2);
    t.fail('a');
    t.fail('b');
    t.fail('c');
    expect(t.blocked('a')).toBe(false);
    expect(t.blocked('c')).toBe(true);
  });

  it('0 disables throttling', () => {
    const t = new FailureThrottle(0);
    t.fail('a');
    expect(t.blocked('a')).toBe(false);
  });
});
