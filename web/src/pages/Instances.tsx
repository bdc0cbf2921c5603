import { useCallback, useEffect, useRef, useState } from 'react';
import { api, isAbort } from '../api.ts';
import { catalogue, priceOf } from '../catalogue.ts';
import { ConnectionBadge, StatusBadge } from '../components/Badge.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatAge, formatPrice, PROVIDER_LABELS, STEP_LABELS } from '../format.ts';
import { useNow, useTitle } from '../hooks.ts';
import { useEventBatches, useLiveEvents, useOnStreamOpen } from '../live.tsx';
import { href } from '../router.ts';
import { LIFECYCLE, type Instance, type Page, type ProviderInfo, type ServerType } from '../types.ts';

const PAGE = 50;
const CLI = 'npx hangar create --provider local --wait';

/** The instance list: filters, live updates from /v1/events, and a first-run empty state. */
export function Instances() {
  useTitle('Instances');
  const now = useNow(5000);
  const [status, setStatus] = useState('');
  const [provider, setProvider] = useState('');
  const [items, setItems] = useState<Instance[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
  const loaded = useRef(0);
  const seq = useRef(0);

  const query = useCallback(
    (limit: number, cursor?: string) => {
      const q = new URLSearchParams({ limit: String(limit) });
      if (status) q.set('status', status);
      if (provider) q.set('provider', provider);
      if (cursor) q.set('cursor', cursor);
      return `/v1/instances?${q}`;
    },
    [status, provider],
  );

  /** (Re)load the first page, as many rows as are shown (so "load more" survives live refreshes). */
  const reload = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      try {
        const page = await api<Page<Instance>>('GET', query(Math.min(200, Math.max(PAGE, loaded.current))), { signal });
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

  useEffect(() => {
    let live = true;
    catalogue
      .providers()
      .then((p) => live && setProviders(p))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  // The API fills monthlyPrice only once its catalogue is warm; otherwise price rows from ours.
  const [types, setTypes] = useState<Record<string, ServerType[]>>({});
  const needTypes = [...new Set((items ?? []).filter((i) => i.monthlyPrice === null && i.serverType && !types[i.provider]).map((i) => i.provider))].join(',');
  useEffect(() => {
    if (!needTypes) return;
    for (const p of needTypes.split(',')) {
      catalogue
        .serverTypes(p)
        .then((t) => setTypes((cur) => ({ ...cur, [p]: t })))
        .catch(() => setTypes((cur) => ({ ...cur, [p]: [] })));
    }
  }, [needTypes]);
  const price = (i: Instance) => {
    if (i.monthlyPrice !== null) return formatPrice(i.monthlyPrice, i.currency, i.provider);
    const p = priceOf(types[i.provider], i.serverType, i.location);
    return formatPrice(p?.monthly ?? null, p?.currency, i.provider);
  };

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
      const page = await api<Page<Instance>>('GET', query(PAGE, nextCursor));
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

  const filtered = Boolean(status || provider);

  return (
    <section className="page" aria-labelledby="instances-title">
      <div className="page-head">
        <div>
          <h1 id="instances-title">Instances</h1>
          <p className="muted">Servers Hangar provisions, with their lifecycle and agent connection, updated live.</p>
        </div>
        <a className="btn btn-primary" href={href.create()} data-testid="create-link">
          Create instance
        </a>
      </div>

      <div className="filters" role="search" aria-label="Filter instances">
        <div className="field field-inline">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => setStatus(e.target.value)} data-testid="filter-status">
            <option value="">All statuses</option>
            {LIFECYCLE.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
            <option value="pending,provisioning,running">active</option>
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="filter-provider">Provider</label>
          <select id="filter-provider" value={provider} onChange={(e) => setProvider(e.target.value)} data-testid="filter-provider">
            <option value="">All providers</option>
            {providers.map((p) => (
              <option key={p.name} value={p.name}>
                {PROVIDER_LABELS[p.name] ?? p.name}
              </option>
            ))}
          </select>
        </div>
        {filtered && (
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={() => {
              setStatus('');
              setProvider('');
            }}
          >
            Clear filters
          </button>
        )}
        {items && (
          <span className="muted count" aria-live="polite">
            {items.length}
            {nextCursor ? '+' : ''} {items.length === 1 ? 'instance' : 'instances'}
          </span>
        )}
      </div>

      {error !== null && <ErrorBox error={error} title="Could not load instances" onRetry={() => void reload()} />}

      {items === null && error === null && (
        <p className="muted loading" role="status">
          Loading instances…
        </p>
      )}

      {items && items.length === 0 && !filtered && <EmptyState />}
      {items && items.length === 0 && filtered && (
        <div className="empty" data-testid="no-matches">
          <h2>No instances match these filters</h2>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setStatus('');
              setProvider('');
            }}
          >
            Clear filters
          </button>
        </div>
      )}

      {items && items.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards" data-testid="instances-table">
            <caption className="sr-only">Instances</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">Location</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Connection</th>
                <th scope="col">Step</th>
                <th scope="col">Age</th>
                <th scope="col" className="num">
                  Monthly
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-testid="instance-row" data-instance-id={i.id} data-status={i.status}>
                  <td data-label="Name" className="cell-name">
                    <a href={href.instance(i.id)} data-testid="instance-link">
                      {i.name}
                    </a>
                    <span className="sub mono">{i.serverName}</span>
                  </td>
                  <td data-label="Provider">{PROVIDER_LABELS[i.provider] ?? i.provider}</td>
                  <td data-label="Location">{i.location ?? '—'}</td>
                  <td data-label="Type">{i.serverType ?? '—'}</td>
                  <td data-label="Status">
                    <StatusBadge status={i.status} />
                  </td>
                  <td data-label="Connection">
                    <ConnectionBadge connection={i.connection} />
                  </td>
                  <td data-label="Step" data-testid="instance-step">
                    {i.step ? (STEP_LABELS[i.step] ?? i.step) : '—'}
                    {i.status === 'failed' && i.failureReason && (
                      <span className="sub sub-error" title={i.failureReason}>
                        {i.failureReason.length > 60 ? `${i.failureReason.slice(0, 57)}…` : i.failureReason}
                      </span>
                    )}
                  </td>
                  <td data-label="Age">
                    <time dateTime={i.createdAt} title={new Date(i.createdAt).toLocaleString()}>
                      {formatAge(i.createdAt, now)}
                    </time>
                  </td>
                  <td data-label="Monthly" className="num" data-testid="instance-price">
                    {price(i)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore} data-testid="load-more">
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}

function EmptyState() {
  const [copied, setCopied] = useState(false);
  return (
    <div className="empty" data-testid="empty-state">
      <svg className="empty-art" viewBox="0 0 64 48" width="96" height="72" aria-hidden="true">
        <path d="M4 44 32 6l28 38z" fill="none" stroke="currentColor" strokeWidth="3" strokeLinejoin="round" />
        <rect x="24" y="30" width="16" height="14" rx="2" fill="currentColor" opacity=".25" />
      </svg>
      <h2>No instances yet</h2>
      <p>
        An instance is a server with a Hangar agent on it. Start with the <strong>local</strong> provider: it runs the agent as a process on this machine, so
        you need no cloud account. The instance is <em>running</em> once its agent has dialed home.
      </p>
      <a className="btn btn-primary" href={href.create()} data-testid="empty-create">
        Create your first instance
      </a>
      <p className="muted">or, from a terminal (with HANGAR_URL and HANGAR_API_KEY set):</p>
      <div className="cli">
        <code data-testid="empty-cli">{CLI}</code>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          onClick={() => {
            void navigator.clipboard?.writeText(CLI).then(
              () => setCopied(true),
              () => {},
            );
          }}
          aria-label="Copy command"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
