import { shownConnection, shownStatus } from '../outcome.ts';
import type { Instance, Lifecycle } from '../types.ts';

const STATUS_TEXT: Record<Lifecycle, string> = {
  pending: 'Pending',
  provisioning: 'Provisioning',
  running: 'Running',
  hibernating: 'Hibernating',
  hibernated: 'Hibernated',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Failed',
};

/**
 * An instance's status pill (pulsing while it is busy): `failed` for one that failed, even after
 * onFailure=destroy tore it down (outcome.ts); `data-lifecycle` keeps the API's status.
 */
export function StatusBadge({ instance }: { instance: Pick<Instance, 'status' | 'failureReason'> }) {
  const status = shownStatus(instance);
  const busy = status === 'pending' || status === 'provisioning' || status === 'stopping';
  const title = status === instance.status ? `Lifecycle: ${status}` : `Failed; lifecycle: ${instance.status} (torn down after the failure)`;
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status} data-lifecycle={instance.status} title={title}>
      <span className={`dot${busy ? ' dot-pulse' : ''}`} aria-hidden="true" />
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

/** An agent connection pill, saying only what is still true (no "Connecting" for an instance that is done). */
export function ConnectionBadge({ instance }: { instance: Pick<Instance, 'status' | 'connection'> }) {
  const c = shownConnection(instance);
  return (
    <span className={`badge badge-conn-${c.state}`} data-testid="connection-badge" data-connection={c.state} title={c.title}>
      <span className="dot" aria-hidden="true" />
      {c.label}
    </span>
  );
}
