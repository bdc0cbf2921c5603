import { useEffect, useState } from 'react';
import { catalogue } from '../../catalogue.ts';
import { PROVIDER_LABELS } from '../../format.ts';
import { LIFECYCLE, type ProviderInfo } from '../../types.ts';
import { ALL_STATUSES, DEFAULT_STATUS } from './statusFilter.ts';

/**
 * The instance list's status and provider filters, with a clear button and the row count. The
 * default status hides stopped instances only (failed ones are listed); "All statuses" shows them.
 */
export function Filters(props: { status: string; provider: string; onStatus: (s: string) => void; onProvider: (p: string) => void; onClear: () => void; count: number | null; more: boolean }) {
  const { status, provider, onStatus, onProvider, onClear, count, more } = props;
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
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
  return (
    <div className="filters" role="search" aria-label="Filter instances">
      <div className="field field-inline">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" value={status} onChange={(e) => onStatus(e.target.value)} data-testid="filter-status">
          <option value={DEFAULT_STATUS}>All but stopped</option>
          <option value={ALL_STATUSES}>All statuses</option>
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
        <select id="filter-provider" value={provider} onChange={(e) => onProvider(e.target.value)} data-testid="filter-provider">
          <option value="">All providers</option>
          {providers.map((p) => (
            <option key={p.name} value={p.name}>
              {PROVIDER_LABELS[p.name] ?? p.name}
            </option>
          ))}
        </select>
      </div>
      {Boolean(status !== DEFAULT_STATUS || provider) && (
        <button type="button" className="btn btn-ghost btn-small" onClick={onClear}>
          Clear filters
        </button>
      )}
      {count !== null && (
        <span className="muted count" aria-live="polite">
          {count}
          {more ? '+' : ''} {count === 1 ? 'instance' : 'instances'}
        </span>
      )}
    </div>
  );
}
