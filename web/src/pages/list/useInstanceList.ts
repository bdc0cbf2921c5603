import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbort, listInstances } from '../../api.ts';
import { useEventBatches, useLiveEvents, useOnStreamOpen } from '../../live.tsx';
import type { Instance, InstanceQuery } from '../../types.ts';

const PAGE = 50;

/** The instance list for a status and provider filter, paged ("load more") and kept current from the live stream (or by polling). */
export function useInstanceList(status: string, provider: string) {
  const [items, setItems] = useState<Instance[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const loaded = useRef(0);
  const seq = useRef(0);

  const query = useCallback((limit: number, cursor?: string): InstanceQuery => ({ limit, status, provider, cursor }), [status, provider]);

  /** (Re)load the first page, as many rows as are shown (so "load more" survives live refreshes). */
  const reload = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      try {
        const page = await listInstances(query(Math.min(200, Math.max(PAGE, loaded.current))), { signal });
        if (mine !== seq.current) return;
        loaded.current = page.items.length;
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (!isAbort(err) && mine === seq.current) setError(err);
      }
    },
    [query],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    loaded.current = 0;
    setItems(null);
    void reload(ctrl.signal);
    return () => ctrl.abort();
  }, [reload]);

  // Any event may change a row, add one, or move one out of the filter: refetch the list.
  useEventBatches(() => void reload(), 400);
  // Events between this page's load and the stream's start are not replayed: reload on open.
  useOnStreamOpen(() => void reload());
  // Without the stream (a proxy that buffers it, a reconnect in progress), poll instead.
  const { state: streamState } = useLiveEvents();
  useEffect(() => {
    if (streamState === 'open') return;
    const t = setInterval(() => void reload(), 5000);
    return () => clearInterval(t);
  }, [streamState, reload]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await listInstances(query(PAGE, nextCursor));
      setItems((cur) => {
        const merged = [...(cur ?? []), ...page.items.filter((i) => !cur?.some((c) => c.id === i.id))];
        loaded.current = merged.length;
        return merged;
      });
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  return { items, nextCursor, error, loadingMore, reload, loadMore };
}
