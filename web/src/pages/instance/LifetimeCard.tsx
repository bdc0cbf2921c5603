import { useState } from 'react';
import { extendInstance, startInstance, stopInstance } from '../../api.ts';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatAge, formatDuration, formatTime } from '../../format.ts';
import type { Instance } from '../../types.ts';

type Action = 'stop' | 'start' | 'extend-1h' | 'extend-8h';

const HIBERNATION: Record<string, string> = {
  hibernating: 'Hibernating: stopping the server and keeping its state…',
  hibernated: 'Hibernated: stopped, state kept. Start brings it back.',
};

/** When the instance ends and what stops it: TTL, idle stop, last activity; stop, start, extend. */
export function LifetimeCard({ instance: i, now, onChange }: { instance: Instance; now: number; onChange: (row: Instance) => void }) {
  const [keepServer, setKeepServer] = useState(false);
  const [busy, setBusy] = useState<Action | null>(null);
  const [error, setError] = useState<{ action: Action; err: unknown } | null>(null);

  const act = async (action: Action, fn: () => Promise<Instance>) => {
    setBusy(action);
    setError(null);
    try {
      onChange(await fn());
    } catch (err) {
      setError({ action, err });
    } finally {
      setBusy(null);
    }
  };

  const left = i.expiresAt ? Date.parse(i.expiresAt) - now : null;
  const idleLeft = i.idleStopAt ? Date.parse(i.idleStopAt) - now : null;
  const ended = i.status === 'stopping' || i.status === 'stopped';
  const canStop = i.status === 'running';
  const canStart = i.status === 'hibernated';
  const canExtend = !ended && i.expiresAt !== null;

  return (
    <section className="card" aria-labelledby="lifetime-title" data-testid="lifetime-card" data-status={i.status}>
      <div className="card-head">
        <h2 id="lifetime-title">Lifetime</h2>
        <div className="page-head-actions">
          <button type="button" className="btn btn-small" disabled={!canExtend || busy !== null} onClick={() => void act('extend-1h', () => extendInstance(i.id, '1h'))} data-testid="extend-1h">
            +1h
          </button>
          <button type="button" className="btn btn-small" disabled={!canExtend || busy !== null} onClick={() => void act('extend-8h', () => extendInstance(i.id, '8h'))} data-testid="extend-8h">
            +8h
          </button>
          {canStart ? (
            <button type="button" className="btn btn-small btn-primary" disabled={busy !== null} onClick={() => void act('start', () => startInstance(i.id))} data-testid="lifetime-start">
              {busy === 'start' ? 'Starting…' : 'Start'}
            </button>
          ) : (
            <button type="button" className="btn btn-small" disabled={!canStop || busy !== null} onClick={() => void act('stop', () => stopInstance(i.id, keepServer))} data-testid="lifetime-stop">
              {busy === 'stop' ? 'Stopping…' : 'Stop'}
            </button>
          )}
        </div>
      </div>
      {HIBERNATION[i.status] && (
        <p className="callout callout-info" role="status" data-testid="hibernation-label">
          {HIBERNATION[i.status]}
          {i.status === 'hibernated' && i.keepServer && ' The server was kept (powered off; it still bills).'}
        </p>
      )}
      {canStop && (
        <label className="muted" style={{ display: 'inline-flex', gap: '0.4rem', alignItems: 'center' }}>
          <input type="checkbox" checked={keepServer} onChange={(e) => setKeepServer(e.target.checked)} data-testid="stop-keep-server" />
          Keep server on stop (power off only: faster start, the server still bills)
        </label>
      )}
      <dl className="facts">
        <dt>Time left</dt>
        <dd data-testid="ttl-left">{left === null ? 'no limit' : left > 0 ? formatDuration(left) : 'expired'}</dd>
        <dt>Expires at</dt>
        <dd data-testid="expires-at" data-iso={i.expiresAt ?? ''}>
          {i.expiresAt ? <time dateTime={i.expiresAt}>{formatTime(i.expiresAt)}</time> : '—'}
        </dd>
        <dt>Idle stop</dt>
        <dd data-testid="idle-stop">
          {i.idleStopSeconds ? `after ${formatDuration(i.idleStopSeconds * 1000)} idle` : 'off'}
          {idleLeft !== null && idleLeft > 0 && <span className="muted"> · in {formatDuration(idleLeft)}</span>}
        </dd>
        <dt>Last active</dt>
        <dd data-testid="last-active">
          {i.lastActiveAt ? (
            <time dateTime={i.lastActiveAt} title={formatTime(i.lastActiveAt)}>
              active {formatAge(i.lastActiveAt, now)} ago
            </time>
          ) : (
            <span className="muted">no activity seen</span>
          )}
        </dd>
      </dl>
      {error && <ErrorBox error={error.err} title={error.action === 'stop' ? 'Could not stop' : error.action === 'start' ? 'Could not start' : 'Could not extend'} />}
    </section>
  );
}
