import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { isAbort, listInstances } from '../../api.ts';
import { useEventBatches, useLiveEvents, useOnStreamOpen } from '../../live.tsx';
import type { Instance, InstanceQuery } from '../../types.ts';
import { collect, statusFilter } from './statusFilter.ts';

const PAGE = 50;

/** GET /v1/instances as collect() reads it. */
const lister = (signal?: AbortSignal) => (q: InstanceQuery) => listInstances(q, { signal });

/**
 * The instance list for a status filter (statusFilter.ts: by the status shown, so the default
 * hides only stopped instances) and a provider, paged ("load more") and kept current from the
 * live stream (or by polling). `hidden`: rows of the first pages the filter left out.
 */
export function useInstanceList(status: string, provider: string) {
  const [items, setItems] = useState<Instance[] | null>(null);
  const [hidden, setHidden] = useState(0);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const loaded = useRef(0);
  const seq = useRef(0);

  const filter = useMemo(() => statusFilter(status), [status]);
  const query = useCallback((cursor?: string): InstanceQuery => ({ status: filter.status, provider: provider || undefined, cursor }), [filter, provider]);

  /** (Re)load the first page, as many rows as are shown (so "load more" survives live refreshes). */
  const reload = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      try {
        const page = await collect(lister(signal), query(), filter.keep, Math.min(200, Math.max(PAGE, loaded.current)));
        if (mine !== seq.current) return;
        loaded.current = page.items.length;
        setItems(page.items);
        setHidden(page.hidden);
        setNextCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (!isAbort(err) && mine === seq.current) setError(err);
      }
    },
    [query, filter],
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
      const page = await collect(lister(), query(nextCursor), filter.keep, PAGE);
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

  return { items, hidden, nextCursor, error, loadingMore, reload, loadMore };
}
