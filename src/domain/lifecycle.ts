import { IllegalTransitionError } from './errors.ts';

/** Lifecycle axis of an instance. */
export const LIFECYCLE = ['pending', 'provisioning', 'running', 'hibernating', 'hibernated', 'stopping', 'stopped', 'failed'] as const;
export type Lifecycle = (typeof LIFECYCLE)[number];

/** The current step while `provisioning`, in order. */
export const STEPS = ['create_server', 'boot', 'enroll', 'network', 'configure', 'workload'] as const;
export type Step = (typeof STEPS)[number];

/** Connection axis, driven by the agent's dial-back and heartbeats. */
export const CONNECTION = ['connecting', 'connected', 'disconnected', 'timeout'] as const;
export type Connection = (typeof CONNECTION)[number];

export interface LifecycleState {
  status: Lifecycle;
  step: Step | null;
}

/** What can happen to an instance's lifecycle. */
export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'step'; step: Step }
  | { type: 'ready' }
  /** Stop (hibernate) a running instance: power off, image, delete the server (or power off only). */
  | { type: 'hibernate' }
  /** The hibernation finished: nothing runs, nothing bills but the image. */
  | { type: 'hibernated' }
  /**
   * Start a hibernated instance again: from its image (`create_server`) or by powering its kept
   * server on (`boot`); either way back through the agent's enroll/health → running.
   */
  | { type: 'wake'; step: 'create_server' | 'boot' }
  | { type: 'destroy' }
  | { type: 'deleted' }
  | { type: 'fail'; reason: string };

export const isActive = (s: Lifecycle): boolean => s === 'pending' || s === 'provisioning' || s === 'running';
export const stepIndex = (s: Step): number => STEPS.indexOf(s);

/**
 * The pure, exhaustive lifecycle transition function. Throws {@link IllegalTransitionError}
 * for a transition the machine does not allow; never returns the input unchanged silently.
 *
 * @example
 * transition({ status: 'pending', step: null }, { type: 'start' })
 * // → { status: 'provisioning', step: 'create_server' }
 */
export function transition(state: LifecycleState, event: LifecycleEvent): LifecycleState {
  const illegal = (detail?: string) => new IllegalTransitionError(describe(state), event.type, detail);
  switch (event.type) {
    case 'start':
      if (state.status !== 'pending') throw illegal();
      return { status: 'provisioning', step: 'create_server' };
    case 'step':
      if (state.status !== 'provisioning' || state.step === null) throw illegal();
      if (stepIndex(event.step) <= stepIndex(state.step)) throw illegal(`step ${event.step} does not follow ${state.step}`);
      return { status: 'provisioning', step: event.step };
    case 'ready':
      if (state.status !== 'provisioning') throw illegal();
      return { status: 'running', step: null };
    case 'hibernate':
      if (state.status !== 'running') throw illegal('only a running instance can be stopped');
      return { status: 'hibernating', step: null };
    case 'hibernated':
      if (state.status !== 'hibernating') throw illegal();
      return { status: 'hibernated', step: null };
    case 'wake':
      if (state.status !== 'hibernated') throw illegal('only a stopped (hibernated) instance can be started');
      return { status: 'provisioning', step: event.step };
    case 'destroy':
      if (state.status === 'stopping' || state.status === 'stopped') throw illegal();
      return { status: 'stopping', step: null };
    case 'deleted':
      if (state.status !== 'stopping') throw illegal();
      return { status: 'stopped', step: null };
    case 'fail':
      if (state.status === 'stopped' || state.status === 'failed') throw illegal();
      return { status: 'failed', step: state.step };
    default: {
      const never: never = event;
      throw new IllegalTransitionError(describe(state), String((never as { type: string }).type));
    }
  }
}

/** Whether `event` may be applied to `state`, without throwing. */
export function canTransition(state: LifecycleState, event: LifecycleEvent): boolean {
  try {
    transition(state, event);
    return true;
  } catch {
    return false;
  }
}

/** Connection events, from the hub. */
export type ConnectionEvent = { type: 'connect' } | { type: 'disconnect' } | { type: 'timeout' };

/**
 * The connection axis: `connecting → connected ⇄ disconnected`, `connecting → timeout`.
 * A late agent that connects after a timeout is let in (`timeout → connected`) so the
 * reconciler, not a race, decides its fate.
 *
 * @example
 * connectionTransition('connecting', { type: 'connect' }) // → 'connected'
 */
export function connectionTransition(state: Connection, event: ConnectionEvent): Connection {
  switch (event.type) {
    case 'connect':
      if (state === 'connected') throw new IllegalTransitionError(state, 'connect');
      return 'connected';
    case 'disconnect':
      if (state !== 'connected') throw new IllegalTransitionError(state, 'disconnect');
      return 'disconnected';
    case 'timeout':
      if (state !== 'connecting') throw new IllegalTransitionError(state, 'timeout');
      return 'timeout';
    default: {
      const never: never = event;
      throw new IllegalTransitionError(state, String((never as { type: string }).type));
    }
  }
}

function describe(s: LifecycleState): string {
  return s.step ? `${s.status}(${s.step})` : s.status;
}

/** A recorded lifecycle transition, as the event log stores it. */
export interface RecordedTransition {
  from: string | null;
  to: string | null;
  step: string | null;
}

/**
 * Replay an instance's recorded transitions through {@link transition}: null when the log is a
 * legal path from `pending`, else what is wrong with it. Used by the chaos suite and audits.
 *
 * @example
 * replayProblem([{ from: null, to: 'pending', step: null }, { from: 'pending', to: 'running', step: null }])
 * // → 'pending --ready--> running: …'
 */
export function replayProblem(log: RecordedTransition[]): string | null {
  if (!log.length) return 'no transitions recorded';
  if (log[0].to !== 'pending') return `first transition is to ${log[0].to}, not pending`;
  let state: LifecycleState = { status: 'pending', step: null };
  for (const t of log.slice(1)) {
    if (t.from !== state.status) return `transition from ${t.from} recorded while the instance was ${state.status}`;
    const to = t.to as Lifecycle;
    const event: LifecycleEvent =
      to === 'provisioning' && state.status === 'pending' ? { type: 'start' }
      : to === 'provisioning' && state.status === 'hibernated' ? { type: 'wake', step: t.step === 'boot' ? 'boot' : 'create_server' }
      : to === 'hibernating' ? { type: 'hibernate' }
      : to === 'hibernated' ? { type: 'hibernated' }
      : to === 'provisioning' ? { type: 'step', step: t.step as Step }
      : to === 'running' ? { type: 'ready' }
      : to === 'stopping' ? { type: 'destroy' }
      : to === 'stopped' ? { type: 'deleted' }
      : { type: 'fail', reason: 'replay' };
    try {
      state = transition(state, event);
    } catch (err) {
      return `${state.status}(${state.step ?? '-'}) --${event.type}--> ${to}: ${(err as Error).message}`;
    }
    if (state.status !== to) return `replay reached ${state.status}, log says ${to}`;
  }
  return null;
}
