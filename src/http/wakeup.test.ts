import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.testing.ts';
import { Wakeup } from './wakeup.ts';

describe('Wakeup', () => {
  it('fires once, at the earliest time asked, and not after clear', async () => {
    const clock = new ManualClock(1_000);
    let fired = 0;
    const w = new Wakeup(clock, () => fired++);
    w.at(1_900);
    w.at(1_500);
    w.at(2_000);
    expect(w.when).toBe(1_500);
    await clock.advance(499);
    expect(fired).toBe(0);
    await clock.advance(1);
    expect(fired).toBe(1);
    expect(w.when).toBe(Infinity);
    w.at(3_000);
    w.clear();
    await clock.advance(5_000);
    expect(fired).toBe(1);
    w.at(Infinity);
    expect(w.when).toBe(Infinity);
  });
});
