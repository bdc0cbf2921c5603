import { useCallback, useEffect, useRef, useState } from 'react';
import { getInstance, instanceEvents, isAbort } from '../../api.ts';
import { useLiveEvents, useOnStreamOpen } from '../../live.tsx';
import type { Instance, InstanceEvent } from '../../types.ts';

/** Events kept in memory (bootstrap logs can be long); the oldest are dropped first. */
const MAX_EVENTS = 5000;

/** One instance and its event log, kept current from the session's live stream (or by polling without it). */
export function useInstance(id: string) {
  const [instance, setInstance] = useState<Instance | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [events, setEvents] = useState<InstanceEvent[]>([]);
  const [historyError, setHistoryError] = useState<unknown>(null);

  // Loads overlap (events, polling, the stream opening): only the latest request's answer counts.
  const seq = useRef(0);
  const load = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      try {
        const row = await getInstance(id, { signal });
        if (mine !== seq.current) return;
        setInstance(row);
        setError(null);
      } catch (err) {
        if (!isAbort(err) && mine === seq.current) setError(err);
      }
    },
    [id],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    void load(ctrl.signal);
    return () => ctrl.abort();
  }, [load]);

  // Live events come from the session's one stream (/v1/events), filtered to this instance;
  // the history from the JSON log. The history is read at mount and again when the stream
  // (re)opens, so no event falls between the two; merging by id removes the overlap.
  const { state: stream, subscribe } = useLiveEvents();
  const merge = useCallback((batch: InstanceEvent[]) => {
    setEvents((cur) => {
      const byId = new Map(cur.map((e) => [e.id, e]));
      for (const e of batch) byId.set(e.id, e);
      const merged = [...byId.values()].sort((a, b) => a.id - b.id);
      return merged.length > MAX_EVENTS ? merged.slice(merged.length - MAX_EVENTS) : merged;
    });
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let buffer: InstanceEvent[] = [];
    const off = subscribe((e) => {
      if (e.instanceId !== id) return;
      buffer.push(e);
      timer ??= setTimeout(() => {
        timer = null;
        merge(buffer.splice(0));
        void load();
      }, 120);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [id, subscribe, merge, load]);

  const lastId = useRef(0);
  lastId.current = events.length ? events[events.length - 1].id : 0;
  const loadHistory = useCallback(
    async (signal?: AbortSignal, from = 0) => {
      try {
        let after = from;
        for (;;) {
          const page = await instanceEvents(id, after, { limit: 1000, signal });
          merge(page.items);
          if (!page.nextCursor || !page.items.length) break;
          after = page.items[page.items.length - 1].id;
        }
        setHistoryError(null);
      } catch (err) {
        if (!isAbort(err)) setHistoryError(err);
      }
    },
    [id, merge],
  );
  useEffect(() => {
    const ctrl = new AbortController();
    void loadHistory(ctrl.signal);
    return () => ctrl.abort();
  }, [loadHistory]);
  useOnStreamOpen(() => {
    void loadHistory();
    void load();
  });
  // Without the stream (a proxy that buffers it, a reconnect in progress), poll the log instead.
  useEffect(() => {
    if (stream === 'open') return;
    const t = setInterval(() => void loadHistory(undefined, lastId.current).then(() => load()), 3000);
    return () => clearInterval(t);
  }, [stream, loadHistory, load]);

  // Heartbeats update the row without writing events: poll it while the agent may be talking.
  const active = instance !== null && instance.status !== 'stopped';
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [active, load]);

  /** Show a row an action returned; an older GET still in flight must not overwrite it. */
  const replace = useCallback((row: Instance) => {
    seq.current++;
    setInstance(row);
  }, []);

  return { instance, error, events, historyError, stream, reload: load, reloadHistory: loadHistory, replace };
}
