/**
 * A fake clock for tests: time moves only when told to. `advance` fires due timers in order and
 * lets promise chains settle between them.
 *
 * @example
 * const clock = new ManualClock();
 * const result = await clock.run(somethingThatSleeps());
 */
import type { Clock } from './clock.ts';

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.at > end) break;
      this.fire(next);
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Drive time until `promise` settles (at most `maxMs` of fake time). */
  async run<T>(promise: Promise<T>, maxMs = 24 * 3600_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    const limit = this.t + maxMs;
    await flushMicrotasks();
    while (!settled) {
      const next = this.nextTimer();
      if (!next) throw new Error('ManualClock.run: nothing scheduled but the promise is still pending');
      if (next.at > limit) throw new Error(`ManualClock.run: still pending after ${maxMs} ms of fake time`);
      this.fire(next);
      await flushMicrotasks();
    }
    return tracked;
  }

  private nextTimer() {
    let best: (typeof this.timers)[number] | undefined;
    for (const x of this.timers) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best;
  }

  private fire(timer: { at: number; fn: () => void }) {
    this.timers = this.timers.filter((x) => x !== timer);
    if (timer.at > this.t) this.t = timer.at;
    timer.fn();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
