import { describe, expect, it } from 'vitest';
import { sleep, TimeoutSignal } from './clock.ts';
import { ManualClock } from './clock.testing.ts';

describe('clock helpers', () => {
  it('sleeps on the given clock, and stops early when the signal aborts', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    await clock.run(sleep(clock, 1500));
    expect(clock.now() - t0).toBe(1500);
    const ac = new AbortController();
    const p = sleep(clock, 10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(sleep(clock, 1, ac.signal)).rejects.toThrow('stop');
  });

  it('a timeout signal aborts after its time, says so, and can be cleared', async () => {
    const clock = new ManualClock();
    const t = new TimeoutSignal(clock, 1000);
    await clock.advance(999);
    expect(t.controller.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(t.timedOut).toBe(true);
    expect(t.controller.signal.reason).toEqual(new Error('timed out after 1000 ms'));
    const cleared = new TimeoutSignal(clock, 1000);
    cleared.clear();
    await clock.advance(5000);
    expect(cleared.controller.signal.aborted).toBe(false);
    expect(new TimeoutSignal(clock, 0).timedOut).toBe(false);
  });
});
