import { formatClock, formatTime, STEP_LABELS } from '../../format.ts';
import type { InstanceEvent } from '../../types.ts';

/** A transition, connection or message event as one line of text (log lines are shown as they came). */
function eventText(e: InstanceEvent): string {
  if (e.kind === 'transition') {
    const stepName = e.step ? (STEP_LABELS[e.step] ?? e.step) : null;
    const move = e.from === e.to && stepName ? `step → ${stepName}` : `${e.from ? `${e.from} → ` : ''}${e.to}${e.to === 'provisioning' && stepName ? ` (${stepName})` : ''}`;
    return `${move}${e.reason ? `: ${e.reason}` : ''}`;
  }
  if (e.kind === 'connection') return `connection ${e.from ?? '?'} → ${e.to}${e.reason ? `: ${e.reason}` : ''}`;
  if (e.kind === 'log') return '';
  return e.reason ?? '';
}

/** One event of the log: time, kind, and its text or log lines with who sent it. */
export function EventItem({ e }: { e: InstanceEvent }) {
  const code = e.data && typeof e.data.code === 'string' ? e.data.code : null;
  const source = e.data && typeof e.data.source === 'string' ? e.data.source : null;
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
            <span className="ev-text">{eventText(e)}</span>
            {code && <code style={{ marginLeft: '0.35rem' }}>{code}</code>}
            <span className="ev-actor">· {e.actor}</span>
          </>
        )}
      </div>
    </li>
  );
}
