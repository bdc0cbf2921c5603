import { describe, expect, it } from 'vitest';
import { callContext, insertAt, withApiLane } from './lanes.ts';

describe('API call lanes', () => {
  it('defaults by method: delete urgent, get list, post create', () => {
    expect(callContext('DELETE').lane).toBe('urgent');
    expect(callContext('get').lane).toBe('list');
    expect(callContext('POST').lane).toBe('create');
  });

  it('a surrounding context wins, across awaits', async () => {
    const lane = await withApiLane({ lane: 'urgent' }, async () => {
      await new Promise((r) => setImmediate(r));
      return callContext('GET').lane;
    });
    expect(lane).toBe('urgent');
  });

  it('orders the line by lane, FIFO within a lane', () => {
    const line = [{ lane: 'urgent' as const }, { lane: 'create' as const }, { lane: 'list' as const }];
    expect(insertAt(line, 'urgent')).toBe(1);
    expect(insertAt(line, 'create')).toBe(2);
    expect(insertAt(line, 'list')).toBe(3);
    expect(insertAt([], 'list')).toBe(0);
  });
});
