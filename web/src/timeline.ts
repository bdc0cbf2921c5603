import { STEPS, type Instance, type InstanceEvent, type Step } from './types.ts';
import { STEP_LABELS } from './format.ts';
import { serverFate } from './outcome.ts';

export type RowState = 'done' | 'current' | 'failed' | 'pending' | 'skipped';

export interface TimelineRow {
  key: string;
  label: string;
  state: RowState;
  /** When the row started (ISO), if it did. */
  at: string | null;
  /** How long it took, or has taken so far (current rows). */
  durationMs: number | null;
  note: string | null;
}

export interface Timeline {
  rows: TimelineRow[];
  /** Request → running, once running. */
  readyMs: number | null;
  /** Still moving (a current row ticks). */
  live: boolean;
}


const ms = (iso: string) => Date.parse(iso);

/**
 * The step timeline of an instance from its event log: when each provisioning step started,
 * how long it took (the current one counts up to `now`), which failed or was skipped, then
 * the running milestone and teardown. Pure, so the page and the tests share it.
 *
 * @example
 * buildTimeline(instance, events, Date.now()).rows.map((r) => `${r.key}:${r.state}`)
 * // → ['create_server:done', 'boot:done', …, 'running:done']
 */
export function buildTimeline(instance: Pick<Instance, 'status' | 'createdAt' | 'failureReason'>, events: InstanceEvent[], now: number): Timeline {
  const transitions = events.filter((e) => e.kind === 'transition').sort((a, b) => a.id - b.id);
  const entered = new Map<Step, InstanceEvent>();
  for (const e of transitions) if (e.to === 'provisioning' && e.step && STEPS.includes(e.step as Step) && !entered.has(e.step as Step)) entered.set(e.step as Step, e);
  const first = (to: string) => transitions.find((e) => e.to === to) ?? null;
  const running = first('running');
  const failed = first('failed');
  const stopping = first('stopping');
  const stopped = first('stopped');
  // Provisioning ends at the first of: running, failed, destroy requested.
  const ends = [running, failed, stopping].filter((e): e is InstanceEvent => e !== null).sort((a, b) => a.id - b.id);
  const provisioningEnd = ends[0] ?? null;
  const failedStep = failed ? ((failed.step as Step | null) ?? null) : null;

  const rows: TimelineRow[] = [];
  const lastStarted = Math.max(-1, ...STEPS.map((s, i) => (entered.has(s) ? i : -1)));
  STEPS.forEach((step, i) => {
    const start = entered.get(step);
    if (!start) {
      const skipped = i < lastStarted || (running !== null && i > lastStarted);
      rows.push({ key: step, label: STEP_LABELS[step], state: skipped ? 'skipped' : 'pending', at: null, durationMs: null, note: skipped ? 'not needed' : null });
      return;
    }
    const next = STEPS.slice(i + 1)
      .map((s) => entered.get(s))
      .find((e): e is InstanceEvent => e !== undefined && e.id > start.id);
    const end = next ?? (provisioningEnd && provisioningEnd.id > start.id ? provisioningEnd : null);
    const isFailed = failed !== null && failedStep === step && !next;
    // Started and not ended (no later step, no running/failed/destroy after it): in progress,
    // whatever step the row (read separately from the events) says.
    const isCurrent = !end && !isFailed;
    const windowEnd = end ? end.id : Number.POSITIVE_INFINITY;
    const warnings = events.filter((e) => (e.kind === 'warning' || e.kind === 'error') && e.id > start.id && e.id < windowEnd).length;
    const warned = warnings ? `${warnings} ${warnings === 1 ? 'warning' : 'warnings'} (see the log)` : null;
    let note: string | null = warned;
    if (isFailed) note = failed?.reason ?? instance.failureReason;
    else if (stopping !== null && end === stopping) note = 'interrupted by destroy';
    else if (isCurrent) note = warned ? `in progress · ${warned}` : 'in progress';
    rows.push({
      key: step,
      label: STEP_LABELS[step],
      state: isFailed ? 'failed' : end ? 'done' : 'current',
      at: start.at,
      durationMs: end ? ms(end.at) - ms(start.at) : Math.max(0, now - ms(start.at)),
      note,
    });
  });

  const requested = transitions.find((e) => e.to === 'pending') ?? null;
  const requestedAt = requested ? ms(requested.at) : ms(instance.createdAt);
  rows.push({
    key: 'running',
    label: 'Running',
    state: running ? 'done' : failed && (!stopping || failed.id < stopping.id) ? 'failed' : stopping ? 'skipped' : 'pending',
    at: running?.at ?? null,
    durationMs: null,
    note: running ? 'agent connected, workload healthy' : failed ? 'never reached' : stopping ? 'destroyed before it was ready' : null,
  });
  if (stopping) {
    rows.push({
      key: 'teardown',
      label: 'Teardown',
      state: stopped ? 'done' : instance.status === 'stopping' ? 'current' : 'pending',
      at: stopping.at,
      durationMs: stopped ? ms(stopped.at) - ms(stopping.at) : instance.status === 'stopping' ? now - ms(stopping.at) : null,
      // The detail's note reads the same facts (outcome.ts): one story of the server.
      note: serverFate(instance, events).text || (stopped ? stopped.reason : 'deleting the server'),
    });
  }
  return {
    rows,
    readyMs: running ? ms(running.at) - requestedAt : null,
    live: rows.some((r) => r.state === 'current'),
  };
}
