import { describe, expect, it } from 'vitest';
import { AgentMessage, logTime } from './messages.ts';

describe('log frames keep the agent’s time', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');
  it('records a frame at the agent’s own time when it is plausible', () => {
    expect(logTime(now.getTime() - 90_000, now)).toEqual(new Date(now.getTime() - 90_000));
    expect(AgentMessage.parse({ type: 'log', source: 'agent', lines: ['x'], at: 5 })).toMatchObject({ at: 5 });
  });
  it('falls back to now without a time, or with one far ahead or too old', () => {
    expect(logTime(undefined, now)).toBe(now);
    expect(logTime(now.getTime() + 3_600_000, now)).toBe(now);
    expect(logTime(now.getTime() - 30 * 24 * 3_600_000, now)).toBe(now);
    expect(AgentMessage.safeParse({ type: 'log', source: 'agent', lines: ['x'], at: 'soon' }).success).toBe(false);
  });
});
