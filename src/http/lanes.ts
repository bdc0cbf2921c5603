/**
 * Which priority lane an API call waits in, and who hears about its wait. The engine wraps a
 * piece of work (`withApiLane({ lane: 'urgent' }, () => teardown())`); every call made inside it
 * queues in that lane. Without a context, DELETE is urgent, POST/PUT create, GET a list/refresh.
 *
 * @example
 * await withApiLane({ lane: 'create', onQueued: (w) => note(`position ${w.position}`) }, () => provider.createServer(spec));
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiLane } from '../domain/api-budget.ts';

export type { ApiLane } from '../domain/api-budget.ts';

/** A call that could not go at once: its place in this replica's line. */
export interface QueuedCall {
  vendor: string;
  lane: ApiLane;
  /** 1 = next. */
  position: number;
  /** Earliest time the budget may allow it (ms), when known. */
  retryAt: number | null;
}

export interface ApiCallContext {
  lane: ApiLane;
  /** Called once per call that has to wait for the budget. */
  onQueued?: (q: QueuedCall) => void;
}

const storage = new AsyncLocalStorage<ApiCallContext>();

/**
 * Run `fn` with its API calls in `ctx.lane`.
 *
 * @example
 * await withApiLane({ lane: 'urgent' }, () => reconcileOnce());
 */
export function withApiLane<T>(ctx: ApiCallContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(ctx, fn);
}

/**
 * The lane and listener of a call with this method, from the surrounding context.
 *
 * @example
 * callContext('DELETE') // → { lane: 'urgent' } outside any withApiLane
 */
export function callContext(method: string): ApiCallContext {
  const ctx = storage.getStore();
  if (ctx) return ctx;
  const m = method.toUpperCase();
  return { lane: m === 'DELETE' ? 'urgent' : m === 'GET' || m === 'HEAD' ? 'list' : 'create' };
}

const ORDER: Record<ApiLane, number> = { urgent: 0, create: 1, list: 2 };

/**
 * Where a waiter of `lane` goes in a line ordered by lane, FIFO within a lane.
 *
 * @example
 * insertAt([{ lane: 'create' }, { lane: 'list' }], 'urgent') // → 0
 */
export function insertAt(line: readonly { lane: ApiLane }[], lane: ApiLane): number {
  let i = line.length;
  while (i > 0 && ORDER[line[i - 1].lane] > ORDER[lane]) i--;
  return i;
}
