import { IllegalTransitionError } from './errors.ts';

/** Lifecycle axis of an instance. */
export const LIFECYCLE = ['pending', 'provisioning', 'running', 'stopping', 'stopped', 'failed'] as const;
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
  | { type: 'destroy' }
  | { type: 'deleted' }
  | { type: 'fail'; reason: string };

export const isTerminal = (s: Lifecycle): boolean => s === 'stopped';
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
