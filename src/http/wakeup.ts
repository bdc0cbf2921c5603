import type { Clock } from './clock.ts';

/**
 * One pending wake-up on a clock: `at(t)` keeps the earlier of the pending time and `t`, `clear()`
 * cancels it. The governors use it to pump their queue when the budget next allows a call.
 *
 * @example
 * const wake = new Wakeup(clock, () => pump());
 * wake.at(clock.now() + 500); wake.at(clock.now() + 900); // fires once, after 500 ms
 */
export class Wakeup {
  private cancel: (() => void) | null = null;
  /** When the pending wake-up fires (Infinity: none). */
  when = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** Fire at `t` (epoch ms) unless a wake-up at or before `t` is already pending; Infinity clears. */
  at(t: number): void {
    if (!Number.isFinite(t)) return this.clear();
    if (this.cancel && this.when <= t) return;
    this.clear();
    this.when = t;
    this.cancel = this.clock.setTimeout(() => {
      this.cancel = null;
      this.when = Infinity;
      this.fire();
    }, Math.max(1, t - this.clock.now()));
  }

  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.when = Infinity;
  }
}
