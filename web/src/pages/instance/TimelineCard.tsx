import { useMemo } from 'react';
import { formatClock, formatDuration, formatTime } from '../../format.ts';
import { buildTimeline, type TimelineRow } from '../../timeline.ts';
import type { Instance, InstanceEvent } from '../../types.ts';

const ICONS: Record<TimelineRow['state'], string> = { done: '✓', failed: '✕', current: '', pending: '', skipped: '' };
const STATE_TEXT: Record<TimelineRow['state'], string> = { done: 'done', failed: 'failed', current: 'in progress', pending: 'not started', skipped: 'skipped' };

/** The instance's steps from request to running (and teardown), each with its state and duration. */
export function TimelineCard({ instance, events, now }: { instance: Instance; events: InstanceEvent[]; now: number }) {
  // `now` ticks once a second; a step that started since then counts from the real clock.
  const tl = useMemo(() => buildTimeline(instance, events, Math.max(now, Date.now())), [instance, events, now]);
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

/** One step of the timeline. */
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
