/**
 * Time for the HTTP layer: a {@link Clock} (now and timers), the real one, and a {@link sleep}
 * on any clock. Injectable so the REST client, the rate-limit governor and action polling run on
 * a fake clock in tests (see clock.testing.ts).
 *
 * @example
 * await sleep(systemClock, 500, signal); // rejects with the signal's reason when it aborts
 */

/** Time source and timers; injectable so tests run on a fake clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` after `ms`; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/**
 * Sleep on a clock; rejects with the signal's reason when aborted.
 *
 * @example
 * await sleep(clock, 1000); // resolves after 1 s of that clock's time
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An abort signal that fires after `ms` on `clock` (none for 0, a negative or a non-finite
 * `ms`); `timedOut` tells a timeout from another abort, `clear()` cancels the timer.
 *
 * @example
 * const t = new TimeoutSignal(clock, 30_000);
 * try { await fetch(url, { signal: t.controller.signal }); } finally { t.clear(); }
 */
export class TimeoutSignal {
  readonly controller = new AbortController();
  private cancel: () => void;
  timedOut = false;
  constructor(clock: Clock, ms: number) {
    if (!(ms > 0) || !Number.isFinite(ms)) {
      this.cancel = () => {};
      return;
    }
    this.cancel = clock.setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`timed out after ${ms} ms`));
    }, ms);
  }
  clear() {
    this.cancel();
  }
}
