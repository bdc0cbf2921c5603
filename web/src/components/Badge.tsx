import type { Connection, Lifecycle } from '../types.ts';

const STATUS_TEXT: Record<Lifecycle, string> = {
  pending: 'Pending',
  provisioning: 'Provisioning',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Failed',
};

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  disconnected: 'Disconnected',
  timeout: 'Timed out',
};

/** A lifecycle status pill (pulsing while the instance is busy). */
export function StatusBadge({ status }: { status: Lifecycle }) {
  const busy = status === 'pending' || status === 'provisioning' || status === 'stopping';
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status} title={`Lifecycle: ${status}`}>
      <span className={`dot${busy ? ' dot-pulse' : ''}`} aria-hidden="true" />
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

/** An agent connection pill. */
export function ConnectionBadge({ connection }: { connection: Connection }) {
  return (
    <span className={`badge badge-conn-${connection}`} data-testid="connection-badge" data-connection={connection} title={`Agent connection: ${connection}`}>
      <span className="dot" aria-hidden="true" />
      {CONNECTION_TEXT[connection] ?? connection}
    </span>
  );
}
