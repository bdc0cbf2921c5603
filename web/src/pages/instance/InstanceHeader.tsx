import { ConnectionBadge, StatusBadge } from '../../components/Badge.tsx';
import type { Instance } from '../../types.ts';

/** The instance page's heading: name, status and connection pills, server name and id, and the destroy button. */
export function InstanceHeader({ instance, onDestroy }: { instance: Instance; onDestroy: () => void }) {
  const canDestroy = instance.status !== 'stopping' && instance.status !== 'stopped';
  return (
    <div className="page-head">
      <div>
        <div className="title-row">
          <h1 id="instance-title">{instance.name}</h1>
          <StatusBadge instance={instance} />
          <ConnectionBadge instance={instance} />
        </div>
        <p className="muted mono" style={{ marginTop: '0.3rem' }}>
          {instance.serverName} · {instance.id}
        </p>
      </div>
      <div className="page-head-actions">
        <button type="button" className="btn btn-danger-outline" onClick={onDestroy} disabled={!canDestroy} data-testid="destroy-button">
          {instance.status === 'stopping' ? 'Destroying…' : instance.status === 'stopped' ? 'Destroyed' : 'Destroy'}
        </button>
      </div>
    </div>
  );
}
