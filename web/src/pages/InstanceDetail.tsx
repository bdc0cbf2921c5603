import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, isAbort } from '../api.ts';
import { catalogue, priceOf } from '../catalogue.ts';
import { ConnectionBadge, StatusBadge } from '../components/Badge.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatAge, formatClock, formatDuration, formatPrice, formatTime, PROVIDER_LABELS, STEP_LABELS, WORKLOAD_LABELS } from '../format.ts';
import { useNow, useTitle } from '../hooks.ts';
import { href } from '../router.ts';
import { useLiveEvents, useOnStreamOpen } from '../live.tsx';
import type { StreamState } from '../sse.ts';
import { buildTimeline, type TimelineRow } from '../timeline.ts';
import type { Instance, InstanceEvent, Page } from '../types.ts';

const BOOTSTRAP_PATHS: Record<string, string> = {
  full: 'Full install',
  snapshot: 'From a Hangar snapshot',
  fallback: 'Fallback: full install after the snapshot path failed',
};

/** Events kept in memory (bootstrap logs can be long); the oldest are dropped first. */
const MAX_EVENTS = 5000;

/** One instance: status, step timeline, agent connection, addresses, live event log, destroy. */
export function InstanceDetail({ id }: { id: string }) {
  const [instance, setInstance] = useState<Instance | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [events, setEvents] = useState<InstanceEvent[]>([]);
  const [historyError, setHistoryError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [destroying, setDestroying] = useState(false);
  const [destroyError, setDestroyError] = useState<unknown>(null);
  const now = useNow(1000);
  useTitle(instance?.name ?? 'Instance');

  // Loads overlap (events, polling, the stream opening): only the latest request's answer counts.
  const seq = useRef(0);
  const load = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++seq.current;
      try {
        const row = await api<Instance>('GET', `/v1/instances/${id}`, { signal });
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
          const page = await api<Page<InstanceEvent>>('GET', `/v1/instances/${id}/events?after=${after}&limit=1000`, { signal });
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

  const destroy = async () => {
    setDestroying(true);
    setDestroyError(null);
    try {
      const row = await api<Instance>('DELETE', `/v1/instances/${id}`);
      seq.current++; // an older GET must not put "running" back
      setInstance(row);
      setConfirming(false);
    } catch (err) {
      setDestroyError(err);
    } finally {
      setDestroying(false);
    }
  };

  if (error && !instance) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <section className="page">
        <a className="breadcrumb" href={href.instances()}>
          ← Instances
        </a>
        <ErrorBox error={error} title={notFound ? 'No such instance' : 'Could not load the instance'} onRetry={notFound ? undefined : () => void load()} />
      </section>
    );
  }
  if (!instance) {
    return (
      <section className="page">
        <p className="muted loading" role="status">
          Loading instance…
        </p>
      </section>
    );
  }

  const canDestroy = instance.status !== 'stopping' && instance.status !== 'stopped';
  return (
    <section className="page" aria-labelledby="instance-title" data-testid="instance-detail" data-status={instance.status}>
      <a className="breadcrumb" href={href.instances()}>
        ← Instances
      </a>
      <div className="page-head">
        <div>
          <div className="title-row">
            <h1 id="instance-title">{instance.name}</h1>
            <StatusBadge status={instance.status} />
            <ConnectionBadge connection={instance.connection} />
          </div>
          <p className="muted mono" style={{ marginTop: '0.3rem' }}>
            {instance.serverName} · {instance.id}
          </p>
        </div>
        <div className="page-head-actions">
          <button type="button" className="btn btn-danger-outline" onClick={() => setConfirming(true)} disabled={!canDestroy} data-testid="destroy-button">
            {instance.status === 'stopping' ? 'Destroying…' : instance.status === 'stopped' ? 'Destroyed' : 'Destroy'}
          </button>
        </div>
      </div>

      {instance.status === 'failed' && instance.failureReason && (
        <div className="callout callout-error" role="status" data-testid="failure-reason">
          <strong>Failed{instance.step ? ` at ${STEP_LABELS[instance.step] ?? instance.step}` : ''}</strong>
          <p>{instance.failureReason}</p>
        </div>
      )}
      {instance.status === 'stopped' && (
        <div className="callout callout-info" role="status" data-testid="stopped-note">
          This instance is stopped: its server has been deleted. Its record and event log are kept.
        </div>
      )}
      {destroyError !== null && !confirming && <ErrorBox error={destroyError} title="Could not destroy" />}

      <div className="detail-grid">
        <TimelineCard instance={instance} events={events} now={now} />
        <FactsCard instance={instance} now={now} />
      </div>

      {historyError !== null && <ErrorBox error={historyError} title="Could not load the event log" onRetry={() => void loadHistory()} />}
      <EventLog events={events} state={stream} />

      <ConfirmDialog
        open={confirming}
        title={`Destroy ${instance.name}?`}
        confirmLabel="Destroy instance"
        danger
        busy={destroying}
        onConfirm={() => void destroy()}
        onCancel={() => {
          setConfirming(false);
          setDestroyError(null);
        }}
        testId="destroy-dialog"
      >
        <p>
          Hangar deletes the server <code>{instance.serverName}</code>
          {instance.serverId ? ` (${PROVIDER_LABELS[instance.provider] ?? instance.provider}, server id ${instance.serverId})` : ''}
          {instance.tailscale ? ' and removes it from the tailnet' : ''}. The workload and anything stored on the server are lost. This cannot be undone.
        </p>
        {destroyError !== null && <p className="field-error">{destroyError instanceof Error ? destroyError.message : String(destroyError)}</p>}
      </ConfirmDialog>
    </section>
  );
}

function TimelineCard({ instance, events, now }: { instance: Instance; events: InstanceEvent[]; now: number }) {
  const tl = useMemo(() => buildTimeline(instance, events, now), [instance, events, now]);
  return (
    <section className="card" aria-labelledby="timeline-title" data-testid="timeline">
      <div className="card-head">
        <h2 id="timeline-title">Steps</h2>
        {tl.readyMs !== null && (
          <span className="muted" data-testid="ready-in">
            ready in {formatDuration(tl.readyMs)}
          </span>
        )}
      </div>
      <ol className="timeline">
        {tl.rows.map((r) => (
          <TimelineItem key={r.key} row={r} />
        ))}
      </ol>
      <div className="tl-total">
        <span className="muted">Requested</span>
        <span>
          <time dateTime={instance.createdAt}>{formatTime(instance.createdAt)}</time>
        </span>
      </div>
    </section>
  );
}

const ICONS: Record<TimelineRow['state'], string> = { done: '✓', failed: '✕', current: '', pending: '', skipped: '' };
const STATE_TEXT: Record<TimelineRow['state'], string> = { done: 'done', failed: 'failed', current: 'in progress', pending: 'not started', skipped: 'skipped' };

function TimelineItem({ row }: { row: TimelineRow }) {
  return (
    <li className={`tl-${row.state}`} data-testid={`step-${row.key}`} data-state={row.state}>
      <span className="tl-icon" aria-hidden="true">
        {ICONS[row.state]}
      </span>
      <span className="tl-label">
        {row.label}
        <span className="sr-only">: {STATE_TEXT[row.state]}</span>
        {row.note && <span className="tl-note">{row.note}</span>}
      </span>
      <span className="tl-time" data-testid={`step-${row.key}-duration`}>
        {row.durationMs !== null ? formatDuration(row.durationMs) : row.at ? formatClock(row.at).slice(0, 8) : row.state === 'skipped' ? '—' : ''}
      </span>
    </li>
  );
}

function FactsCard({ instance: i, now }: { instance: Instance; now: number }) {
  const [price, setPrice] = useState<{ monthly: number; currency: string } | null>(null);
  useEffect(() => {
    if (i.monthlyPrice !== null || !i.serverType) return;
    let live = true;
    catalogue
      .serverTypes(i.provider)
      .then((t) => {
        const p = priceOf(t, i.serverType, i.location);
        if (live && p) setPrice(p);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [i.provider, i.serverType, i.location, i.monthlyPrice]);
  const heartbeatAge = i.lastHeartbeatAt ? now - Date.parse(i.lastHeartbeatAt) : null;
  const configEntries = Object.entries(i.config ?? {});
  return (
    <section className="card" aria-labelledby="facts-title" data-testid="facts">
      <h2 id="facts-title" className="sr-only">
        Details
      </h2>
      <dl className="facts">
        <dt className="facts-group">Agent</dt>
        <dt>Connection</dt>
        <dd>
          <ConnectionBadge connection={i.connection} />
        </dd>
        <dt>Last heartbeat</dt>
        <dd data-testid="last-heartbeat">
          {i.lastHeartbeatAt ? (
            <time dateTime={i.lastHeartbeatAt} title={formatTime(i.lastHeartbeatAt)}>
              {heartbeatAge !== null && heartbeatAge < 1500 ? 'just now' : `${formatAge(i.lastHeartbeatAt, now)} ago`}
            </time>
          ) : (
            <span className="muted">none yet</span>
          )}
        </dd>
        <dt>Workload</dt>
        <dd>
          {WORKLOAD_LABELS[i.workload] ?? i.workload}
          {i.workloadHealthy === true && <span className="muted"> · healthy</span>}
          {i.workloadHealthy === false && <span className="text-danger"> · unhealthy</span>}
        </dd>
        <dt>Agent</dt>
        <dd className="mono">{i.agentId ? `${i.agentId.slice(0, 8)}${i.agentVersion ? ` · v${i.agentVersion}` : ''}` : '—'}</dd>

        <dt className="facts-group">Network</dt>
        <dt>IPv4</dt>
        <dd className="mono" data-testid="ipv4">
          {i.ipv4 ?? '—'}
        </dd>
        <dt>IPv6</dt>
        <dd className="mono">{i.ipv6 ?? '—'}</dd>
        <dt>Tailscale</dt>
        <dd>{i.tailscale ? 'on' : 'off'}</dd>
        <dt>Tailnet name</dt>
        <dd className="mono" data-testid="tailnet-name">
          {i.tailnetName ?? '—'}
        </dd>

        <dt className="facts-group">Server</dt>
        <dt>Provider</dt>
        <dd>
          {PROVIDER_LABELS[i.provider] ?? i.provider}
          {i.location ? ` · ${i.location}` : ''}
        </dd>
        <dt>Server type</dt>
        <dd>
          {i.serverType ?? 'default'}
          {(i.monthlyPrice !== null || price) && <span className="muted"> · {formatPrice(i.monthlyPrice ?? price?.monthly, price?.currency ?? i.currency, i.provider)}/month</span>}
        </dd>
        <dt>Server id</dt>
        <dd className="mono">{i.serverId ?? '—'}</dd>
        <dt>Image</dt>
        <dd>{i.image ?? 'default'}</dd>
        <dt>Bootstrap path</dt>
        <dd data-testid="bootstrap-path">{i.bootstrapPath ? (BOOTSTRAP_PATHS[i.bootstrapPath] ?? i.bootstrapPath) : '—'}</dd>

        <dt className="facts-group">Settings</dt>
        {configEntries.map(([k, v]) => (
          <FactRow key={k} k={k} v={typeof v === 'string' ? v : JSON.stringify(v)} />
        ))}
        <dt>Sealed settings</dt>
        <dd>{i.secrets.length ? <span className="kv">{i.secrets.map((s) => <code key={s}>{s}</code>)}</span> : 'none'}</dd>
        <dt>Connect timeout</dt>
        <dd>{formatDuration(i.connectTimeoutSeconds * 1000)}</dd>
        <dt>On failure</dt>
        <dd>{i.onFailure === 'keep' ? 'keep the server' : 'destroy the server'}</dd>
        <dt>Running since</dt>
        <dd>{i.runningAt ? formatTime(i.runningAt) : '—'}</dd>
      </dl>
    </section>
  );
}

function FactRow({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt className="mono">{k}</dt>
      <dd className="mono">{v.length > 200 ? `${v.slice(0, 200)}…` : v}</dd>
    </>
  );
}

type LogFilter = 'all' | 'lifecycle' | 'logs' | 'problems';
const FILTERS: Record<LogFilter, { label: string; test: (e: InstanceEvent) => boolean }> = {
  all: { label: 'All events', test: () => true },
  lifecycle: { label: 'Lifecycle and connection', test: (e) => e.kind === 'transition' || e.kind === 'connection' },
  logs: { label: 'Log lines', test: (e) => e.kind === 'log' },
  problems: { label: 'Warnings and errors', test: (e) => e.kind === 'warning' || e.kind === 'error' },
};
/** Rendered at most; older ones are behind "show earlier". */
const SHOWN = 400;

function EventLog({ events, state }: { events: InstanceEvent[]; state: StreamState }) {
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

function EventItem({ e }: { e: InstanceEvent }) {
  const code = e.data && typeof e.data.code === 'string' ? e.data.code : null;
  const source = e.data && typeof e.data.source === 'string' ? e.data.source : null;
  let text: string;
  if (e.kind === 'transition') {
    const stepName = e.step ? (STEP_LABELS[e.step] ?? e.step) : null;
    const move = e.from === e.to && stepName ? `step → ${stepName}` : `${e.from ? `${e.from} → ` : ''}${e.to}${e.to === 'provisioning' && stepName ? ` (${stepName})` : ''}`;
    text = `${move}${e.reason ? `: ${e.reason}` : ''}`;
  } else if (e.kind === 'connection') {
    text = `connection ${e.from ?? '?'} → ${e.to}${e.reason ? `: ${e.reason}` : ''}`;
  } else if (e.kind === 'log') {
    text = '';
  } else {
    text = e.reason ?? '';
  }
  return (
    <li className={`ev-${e.kind}`} data-testid="event" data-kind={e.kind} data-event-id={e.id}>
      <time className="ev-time" dateTime={e.at} title={formatTime(e.at)}>
        {formatClock(e.at)}
      </time>
      <span>
        <span className={`badge badge-kind badge-kind-${e.kind}`}>{e.kind}</span>
      </span>
      <div className="ev-body">
        {e.kind === 'log' ? (
          <>
            <span className="ev-source">{source ?? 'log'}</span>
            <span className="ev-actor">{e.actor}</span>
            <pre className="ev-lines">{e.reason}</pre>
          </>
        ) : (
          <>
            <span className="ev-text">{text}</span>
            {code && <code style={{ marginLeft: '0.35rem' }}>{code}</code>}
            <span className="ev-actor">· {e.actor}</span>
          </>
        )}
      </div>
    </li>
  );
}
