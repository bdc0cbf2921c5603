import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { PROVIDER_LABELS } from '../../format.ts';
import type { Instance } from '../../types.ts';
import type { DestroyAction } from './useDestroy.ts';

/** The confirmation before destroying an instance: what is deleted, and why the last attempt failed. */
export function DestroyDialog({ instance, action }: { instance: Instance; action: DestroyAction }) {
  return (
    <ConfirmDialog
      open={action.confirming}
      title={`Destroy ${instance.name}?`}
      confirmLabel="Destroy instance"
      danger
      busy={action.busy}
      onConfirm={() => void action.confirm()}
      onCancel={action.cancel}
      testId="destroy-dialog"
    >
      <p>
        Hangar deletes the server <code>{instance.serverName}</code>
        {instance.serverId ? ` (${PROVIDER_LABELS[instance.provider] ?? instance.provider}, server id ${instance.serverId})` : ''}
        {instance.tailscale ? ' and removes it from the tailnet' : ''}. The workload and anything stored on the server are lost. This cannot be undone.
      </p>
      {action.error !== null && <p className="field-error">{action.error instanceof Error ? action.error.message : String(action.error)}</p>}
    </ConfirmDialog>
  );
}
