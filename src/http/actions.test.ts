import { describe, expect, it } from 'vitest';
import { ProviderError } from '../domain/errors.ts';
import { pollAction, type ActionPoll } from './actions.ts';
import { ManualClock } from './clock.testing.ts';

interface Action {
  id: number;
  status: 'running' | 'success' | 'error';
}

function poll(clock: ManualClock, states: Action['status'][], timeoutMs = 60_000): { o: ActionPoll<Action>; at: number[] } {
  const at: number[] = [];
  let i = 0;
  return {
    at,
    o: {
      provider: 'hetzner',
      clock,
      timeoutMs,
      poll: { initialMs: 1000, maxMs: 2000 },
      get: async (id) => {
        at.push(clock.now());
        return { id, status: states[Math.min(i++, states.length - 1)] };
      },
      outcome: (a) => (a.status === 'success' ? 'done' : a.status === 'error' ? new ProviderError('hetzner', 'action_failed', `action ${a.id} failed`) : null),
      describe: (a) => `action ${a.id} still running`,
    },
  };
}

describe('pollAction', () => {
  it('polls with backoff (×1.5 up to the max) until the action is done', async () => {
    const clock = new ManualClock();
    const { o, at } = poll(clock, ['running', 'running', 'running', 'success']);
    const t0 = clock.now();
    expect(await clock.run(pollAction(7, o))).toEqual({ id: 7, status: 'success' });
    expect(at.map((t) => t - t0)).toEqual([0, 1000, 2500, 4500]);
  });

  it("throws the failed action's error", async () => {
    const clock = new ManualClock();
    const { o } = poll(clock, ['running', 'error']);
    await expect(clock.run(pollAction(7, o))).rejects.toMatchObject({ code: 'action_failed' });
  });

  it('gives up after the timeout with a retryable action_timeout', async () => {
    const clock = new ManualClock();
    const { o } = poll(clock, ['running'], 5000);
    await expect(clock.run(pollAction<Action>({ id: 7, status: 'running' }, o))).rejects.toMatchObject({ code: 'action_timeout', retryable: true, message: expect.stringContaining('action 7 still running after 5000 ms') });
  });
});
