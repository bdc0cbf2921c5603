import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, followEvents, isAbort, type StreamState } from './api.ts';
import { latestEventId } from './latestEvent.ts';
import type { InstanceEvent } from './types.ts';

type Listener = (e: InstanceEvent) => void;

interface LiveEvents {
  state: StreamState;
  subscribe(fn: Listener): () => void;
}

const LiveContext = createContext<LiveEvents>({ state: 'closed', subscribe: () => () => {} });

/**
 * One stream of every instance's events (GET /v1/events over SSE) for the whole signed-in
 * session; pages subscribe to it to refresh what changed, without reloading. One stream per
 * tab, so several open tabs stay within the browser's six connections per host.
 */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<StreamState>('connecting');
  const listeners = useRef(new Set<Listener>());
  useEffect(() => {
    // Follow from the newest event: pages load their current state themselves (and reload when
    // the stream opens), so replaying the installation's whole history would be wasted.
    const ctrl = new AbortController();
    let handle: { close(): void } | null = null;
    const start = (lastEventId: number) => {
      if (ctrl.signal.aborted) return;
      handle = followEvents({
        lastEventId,
        onEvent: (e) => {
          for (const fn of listeners.current) fn(e);
        },
        onState: setState,
      });
    };
    latestEventId(ctrl.signal).then(start, (err: unknown) => {
      // A 401 has signed the session out already; anything else: follow from the start.
      if (!isAbort(err) && !(err instanceof ApiError && err.status === 401)) start(0);
    });
    return () => {
      ctrl.abort();
      handle?.close();
    };
  }, []);
  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);
  const value = useMemo(() => ({ state, subscribe }), [state, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** The session's live event stream: its state, and `subscribe` to its events. */
export function useLiveEvents(): LiveEvents {
  return useContext(LiveContext);
}

/** Call `fn` (debounced by `ms`) with the instance ids of events seen since the last call. */
export function useEventBatches(fn: (instanceIds: Set<string>) => void, ms = 250): void {
  const { subscribe } = useLiveEvents();
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = subscribe((e) => {
      pending.add(e.instanceId);
      timer ??= setTimeout(() => {
        const ids = pending;
        pending = new Set();
        timer = null;
        fnRef.current(ids);
      }, ms);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [subscribe, ms]);
}

/** Call `fn` each time the live stream (re)opens: the moment to reload what may have been missed. */
export function useOnStreamOpen(fn: () => void): void {
  const { state } = useLiveEvents();
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const prev = useRef(state);
  useEffect(() => {
    if (state === 'open' && prev.current !== 'open') fnRef.current();
    prev.current = state;
  }, [state]);
}
