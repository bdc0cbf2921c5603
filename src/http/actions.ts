/**
 * Waiting for a cloud's asynchronous actions (Hetzner actions, DigitalOcean droplet actions):
 * poll with backoff until done, failed, or out of time.
 *
 * @example
 * await pollAction(action, { provider: 'hetzner', clock, timeoutMs, get, outcome, describe });
 */
import { ProviderError } from '../domain/errors.ts';
import { sleep, type Clock } from './clock.ts';

/** How to wait for one cloud's asynchronous actions. */
export interface ActionPoll<A> {
  provider: string;
  clock: Clock;
  timeoutMs: number;
  poll?: { initialMs?: number; maxMs?: number };
  signal?: AbortSignal;
  get: (id: number) => Promise<A>;
  /** 'done', an error to throw (the action failed), or null while it runs. */
  outcome: (a: A) => 'done' | Error | null;
  /** `action 12 (create_image) still running`, for the timeout error. */
  describe: (a: A) => string;
}

/**
 * Poll an action with backoff (×1.5 up to `poll.maxMs`) until it is done; a failed action throws
 * its error, one still running after `timeoutMs` throws a retryable `action_timeout`.
 *
 * @example
 * await pollAction(action, { provider: 'hetzner', clock, timeoutMs, get, outcome, describe });
 */
export async function pollAction<A extends { id: number }>(first: A | number, o: ActionPoll<A>): Promise<A> {
  const deadline = o.clock.now() + o.timeoutMs;
  let delay = o.poll?.initialMs ?? 1000;
  const maxDelay = o.poll?.maxMs ?? 10_000;
  let current = typeof first === 'number' ? await o.get(first) : first;
  for (;;) {
    const out = o.outcome(current);
    if (out === 'done') return current;
    if (out) throw out;
    const left = deadline - o.clock.now();
    if (left <= 0) throw new ProviderError(o.provider, 'action_timeout', `${o.describe(current)} after ${o.timeoutMs} ms`, undefined, true);
    await sleep(o.clock, Math.min(delay, left), o.signal);
    delay = Math.min(maxDelay, Math.round(delay * 1.5));
    current = await o.get(current.id);
  }
}
