import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IllegalTransitionError } from './errors.ts';
import { canTransition, connectionTransition, replayProblem, CONNECTION, LIFECYCLE, STEPS, transition, type LifecycleEvent, type LifecycleState } from './lifecycle.ts';

describe('lifecycle transition', () => {
  it('walks the happy path step by step', () => {
    let s: LifecycleState = { status: 'pending', step: null };
    s = transition(s, { type: 'start' });
    expect(s).toEqual({ status: 'provisioning', step: 'create_server' });
    for (const step of STEPS.slice(1)) s = transition(s, { type: 'step', step });
    expect(s.step).toBe('workload');
    s = transition(s, { type: 'ready' });
    expect(s).toEqual({ status: 'running', step: null });
    s = transition(s, { type: 'destroy' });
    s = transition(s, { type: 'deleted' });
    expect(s).toEqual({ status: 'stopped', step: null });
  });

  it('lets an agent skip forward over steps but never back', () => {
    const s = transition({ status: 'provisioning', step: 'create_server' }, { type: 'step', step: 'enroll' });
    expect(s.step).toBe('enroll');
    expect(() => transition(s, { type: 'step', step: 'boot' })).toThrow(IllegalTransitionError);
    expect(() => transition(s, { type: 'step', step: 'enroll' })).toThrow(/does not follow/);
  });

  it('fails from any state but stopped and failed, keeping the step for the record', () => {
    expect(transition({ status: 'provisioning', step: 'boot' }, { type: 'fail', reason: 'x' })).toEqual({ status: 'failed', step: 'boot' });
    expect(() => transition({ status: 'stopped', step: null }, { type: 'fail', reason: 'x' })).toThrow(IllegalTransitionError);
  });

  it('rejects illegal transitions with a typed error naming both sides', () => {
    const err = (() => {
      try {
        transition({ status: 'stopped', step: null }, { type: 'start' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as Error).message).toBe('cannot apply start to an instance that is stopped');
    expect((err as IllegalTransitionError).status).toBe(409);
  });

  it('is total: every state × event either yields a known state or throws the typed error', () => {
    const states = fc.record({ status: fc.constantFrom(...LIFECYCLE), step: fc.constantFrom(null, ...STEPS) });
    const events = fc.oneof(
      fc.constantFrom<LifecycleEvent>({ type: 'start' }, { type: 'ready' }, { type: 'destroy' }, { type: 'deleted' }, { type: 'fail', reason: 'r' }, { type: 'hibernate' }, { type: 'hibernated' }, { type: 'wake', step: 'create_server' }, { type: 'wake', step: 'boot' }),
      fc.constantFrom(...STEPS).map((step): LifecycleEvent => ({ type: 'step', step })),
    );
    fc.assert(
      fc.property(states, events, (s, e) => {
        if (canTransition(s, e)) {
          const n = transition(s, e);
          expect(LIFECYCLE).toContain(n.status);
          expect(n.step === null || STEPS.includes(n.step)).toBe(true);
        } else {
          expect(() => transition(s, e)).toThrow(IllegalTransitionError);
        }
      }),
    );
  });

  it('stopped is terminal', () => {
    for (const e of [{ type: 'start' }, { type: 'ready' }, { type: 'destroy' }, { type: 'deleted' }] as LifecycleEvent[]) {
      expect(canTransition({ status: 'stopped', step: null }, e)).toBe(false);
    }
  });
});

describe('stop and start (hibernate)', () => {
  const running: LifecycleState = { status: 'running', step: null };
  it('stops a running instance and starts it again from its image or its kept server', () => {
    let s = transition(running, { type: 'hibernate' });
    expect(s).toEqual({ status: 'hibernating', step: null });
    s = transition(s, { type: 'hibernated' });
    expect(s).toEqual({ status: 'hibernated', step: null });
    expect(transition(s, { type: 'wake', step: 'create_server' })).toEqual({ status: 'provisioning', step: 'create_server' });
    const kept = transition(s, { type: 'wake', step: 'boot' });
    expect(kept).toEqual({ status: 'provisioning', step: 'boot' });
    // Back through enroll → running, as a new instance goes.
    expect(transition(transition(kept, { type: 'step', step: 'enroll' }), { type: 'ready' })).toEqual(running);
  });

  it('stops only what runs and starts only what is hibernated, naming why', () => {
    for (const status of ['pending', 'provisioning', 'hibernating', 'hibernated', 'stopping', 'stopped', 'failed'] as const) {
      expect(() => transition({ status, step: null }, { type: 'hibernate' })).toThrow(IllegalTransitionError);
    }
    expect(() => transition(running, { type: 'wake', step: 'create_server' })).toThrow(/only a stopped \(hibernated\) instance can be started/);
    expect(() => transition(running, { type: 'hibernated' })).toThrow(IllegalTransitionError);
  });

  it('destroys and fails a hibernating or hibernated instance', () => {
    for (const status of ['hibernating', 'hibernated'] as const) {
      expect(transition({ status, step: null }, { type: 'destroy' })).toEqual({ status: 'stopping', step: null });
      expect(transition({ status, step: null }, { type: 'fail', reason: 'x' }).status).toBe('failed');
    }
  });

  it('property: any walk of stop/start cycles from running stays legal and replays from the log', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 6 }), (keeps) => {
        const log = [{ from: null, to: 'pending', step: null }, { from: 'pending', to: 'provisioning', step: 'create_server' }, { from: 'provisioning', to: 'running', step: null }] as { from: string | null; to: string; step: string | null }[];
        let s: LifecycleState = running;
        for (const keep of keeps) {
          for (const e of [{ type: 'hibernate' }, { type: 'hibernated' }, { type: 'wake', step: keep ? 'boot' : 'create_server' }, { type: 'ready' }] as LifecycleEvent[]) {
            const n = transition(s, e);
            log.push({ from: s.status, to: n.status, step: n.step });
            s = n;
          }
        }
        expect(s).toEqual(running);
        expect(replayProblem(log)).toBeNull();
      }),
    );
  });
});

describe('connection transition', () => {
  it('connects, drops and recovers', () => {
    expect(connectionTransition('connecting', { type: 'connect' })).toBe('connected');
    expect(connectionTransition('connected', { type: 'disconnect' })).toBe('disconnected');
    expect(connectionTransition('disconnected', { type: 'connect' })).toBe('connected');
  });
  it('times out only while connecting, and a late agent may still connect', () => {
    expect(connectionTransition('connecting', { type: 'timeout' })).toBe('timeout');
    expect(() => connectionTransition('connected', { type: 'timeout' })).toThrow(IllegalTransitionError);
    expect(connectionTransition('timeout', { type: 'connect' })).toBe('connected');
  });
  it('rejects a second connect and a disconnect that never connected', () => {
    for (const c of CONNECTION) {
      if (c !== 'connected') expect(() => connectionTransition(c, { type: 'disconnect' })).toThrow(IllegalTransitionError);
    }
    expect(() => connectionTransition('connected', { type: 'connect' })).toThrow(IllegalTransitionError);
  });
});

describe('replayProblem', () => {
  const t = (from: string | null, to: string, step: string | null = null) => ({ from, to, step });
  it('accepts a full provision and teardown', () => {
    const log = [t(null, 'pending'), t('pending', 'provisioning', 'create_server'), ...['boot', 'enroll', 'network', 'configure', 'workload'].map((s) => t('provisioning', 'provisioning', s)), t('provisioning', 'running'), t('running', 'stopping'), t('stopping', 'stopped')];
    expect(replayProblem(log)).toBeNull();
  });
  it('rejects a skipped start, a backwards step and a gap in the chain', () => {
    expect(replayProblem([t(null, 'pending'), t('pending', 'running')])).toMatch(/ready/);
    expect(replayProblem([t(null, 'pending'), t('pending', 'provisioning', 'create_server'), t('provisioning', 'provisioning', 'enroll'), t('provisioning', 'provisioning', 'boot')])).toMatch(/does not follow/);
    expect(replayProblem([t(null, 'pending'), t('running', 'stopping')])).toMatch(/while the instance was pending/);
    expect(replayProblem([])).toBe('no transitions recorded');
  });
});
