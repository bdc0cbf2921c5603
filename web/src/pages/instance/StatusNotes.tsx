import { STEP_LABELS } from '../../format.ts';
import { failedStep, serverFate, shownStatus } from '../../outcome.ts';
import type { Instance, InstanceEvent } from '../../types.ts';

/** "no server was created" → "No server was created." */
const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

/**
 * Why a failed instance failed (and at which step), and what became of its server, read from its
 * events as its timeline reads them (outcome.ts): the note and the timeline tell one story.
 */
export function StatusNotes({ instance, events }: { instance: Instance; events: InstanceEvent[] }) {
  const fate = serverFate(instance, events);
  const step = failedStep(instance, events);
  const server = fate.key === 'unknown' ? null : (
    <p data-testid="server-fate" data-fate={fate.key}>
      {instance.status === 'stopping' || instance.status === 'stopped'
        ? `${instance.status === 'stopping' ? 'Being torn down' : 'Torn down'}${instance.failureReason ? ' after the failure (onFailure=destroy)' : ''}: ${fate.text}.`
        : sentence(fate.text)}
      {fate.key === 'kept' && ' Destroy the instance to delete it.'}
    </p>
  );
  if (shownStatus(instance) === 'failed') {
    return (
      <div className="callout callout-error" role="status" data-testid="failure-reason">
        <strong>Failed{step ? ` at ${STEP_LABELS[step] ?? step}` : ''}</strong>
        <p>{instance.failureReason ?? 'No reason was recorded.'}</p>
        {server}
      </div>
    );
  }
  if (instance.status === 'stopped') {
    return (
      <div className="callout callout-info" role="status" data-testid="stopped-note">
        <p>This instance is stopped. Its record and event log are kept.</p>
        {server}
      </div>
    );
  }
  return null;
}
