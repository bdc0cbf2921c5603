import { STEP_LABELS } from '../../format.ts';
import type { Instance } from '../../types.ts';

/** Why a failed instance failed (and at which step), or that a stopped one's server is gone. */
export function StatusNotes({ instance }: { instance: Instance }) {
  return (
    <>
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
    </>
  );
}
