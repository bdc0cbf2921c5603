import { useState } from 'react';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useNow, useTitle } from '../hooks.ts';
import { href } from '../router.ts';
import { EmptyState } from './list/EmptyState.tsx';
import { Filters } from './list/Filters.tsx';
import { InstancesTable } from './list/InstancesTable.tsx';
import { useInstanceList } from './list/useInstanceList.ts';
import { ALL_STATUSES, DEFAULT_STATUS } from './list/statusFilter.ts';
import { useMonthlyPrice } from './list/useMonthlyPrice.ts';

/** The instance list: filters, live updates from /v1/events, and a first-run empty state. */
export function Instances() {
  useTitle('Instances');
  const now = useNow(5000);
  const [status, setStatus] = useState(DEFAULT_STATUS);
  const [provider, setProvider] = useState('');
  const { items, hidden, nextCursor, error, loadingMore, reload, loadMore } = useInstanceList(status, provider);
  const price = useMonthlyPrice(items);
  const filtered = Boolean((status !== DEFAULT_STATUS && status !== ALL_STATUSES) || provider);
  /** Stopped instances the default filter left out: say so, with the way to see them. */
  const stoppedHidden = status === DEFAULT_STATUS && hidden > 0;
  const clear = () => {
    setStatus(DEFAULT_STATUS);
    setProvider('');
  };

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

      <Filters status={status} provider={provider} onStatus={setStatus} onProvider={setProvider} onClear={clear} count={items ? items.length : null} more={Boolean(nextCursor)} />

      {error !== null && <ErrorBox error={error} title="Could not load instances" onRetry={() => void reload()} />}

      {items === null && error === null && (
        <p className="muted loading" role="status">
          Loading instances…
        </p>
      )}

      {stoppedHidden && (
        <p className="muted hidden-note" data-testid="stopped-hidden">
          Stopped instances are hidden.{' '}
          <button type="button" className="btn-link" onClick={() => setStatus(ALL_STATUSES)} data-testid="show-stopped">
            Show all
          </button>
        </p>
      )}

      {items && items.length === 0 && !filtered && !stoppedHidden && <EmptyState />}
      {items && items.length === 0 && filtered && (
        <div className="empty" data-testid="no-matches">
          <h2>No instances match these filters</h2>
          <button type="button" className="btn" onClick={clear}>
            Clear filters
          </button>
        </div>
      )}

      {items && items.length > 0 && <InstancesTable items={items} now={now} price={price} />}

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
