import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { StreamState } from '../../api.ts';
import type { InstanceEvent } from '../../types.ts';
import { EventItem } from './EventItem.tsx';

type LogFilter = 'all' | 'lifecycle' | 'logs' | 'problems';
const FILTERS: Record<LogFilter, { label: string; test: (e: InstanceEvent) => boolean }> = {
  all: { label: 'All events', test: () => true },
  lifecycle: { label: 'Lifecycle and connection', test: (e) => e.kind === 'transition' || e.kind === 'connection' },
  logs: { label: 'Log lines', test: (e) => e.kind === 'log' },
  problems: { label: 'Warnings and errors', test: (e) => e.kind === 'warning' || e.kind === 'error' },
};
/** Rendered at most; older ones are behind "show earlier". */
const SHOWN = 400;

/** The instance's event log, oldest first: filterable, following new events, with the live stream's state. */
export function EventLog({ events, state }: { events: InstanceEvent[]; state: StreamState }) {
  const [filter, setFilter] = useState<LogFilter>('all');
  const [follow, setFollow] = useState(true);
  const [all, setAll] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const shown = useMemo(() => events.filter(FILTERS[filter].test), [events, filter]);
  const visible = all ? shown : shown.slice(-SHOWN);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [visible.length, follow, filter]);

  const label = state === 'open' ? 'live' : state === 'closed' ? 'stream closed' : 'reconnecting…';
  return (
    <section className="card" aria-labelledby="log-title" data-testid="event-log">
      <div className="card-head">
        <h2 id="log-title">
          Event log{' '}
          <span className={`live live-${state}`} data-testid="log-stream" data-state={state}>
            <span className="dot" aria-hidden="true" />
            {label}
          </span>
        </h2>
        <div className="log-tools">
          <label>
            <span className="sr-only">Show</span>
            <select value={filter} onChange={(e) => setFilter(e.target.value as LogFilter)} aria-label="Which events to show" data-testid="log-filter">
              {(Object.keys(FILTERS) as LogFilter[]).map((f) => (
                <option key={f} value={f}>
                  {FILTERS[f].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
        </div>
      </div>
      {!all && shown.length > SHOWN && (
        <button type="button" className="btn btn-small" style={{ marginBottom: '0.5rem' }} onClick={() => setAll(true)}>
          Show {shown.length - SHOWN} earlier events
        </button>
      )}
      <ol className="event-log" ref={listRef} aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Events, oldest first">
        {visible.length === 0 && <li className="log-empty">{events.length ? 'No events match this filter.' : 'No events yet.'}</li>}
        {visible.map((e) => (
          <EventItem key={e.id} e={e} />
        ))}
      </ol>
    </section>
  );
}
