import { afterEach, describe, expect, it, vi } from 'vitest';
import { latestEventId } from './latestEvent.ts';

/** A fake /v1/events JSON endpoint over `ids` (ascending, with gaps), counting requests. */
function fakeEvents(ids: number[]) {
  const calls: string[] = [];
  vi.stubGlobal('sessionStorage', { getItem: () => 'hgr_test', setItem() {}, removeItem() {} });
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    const url = input instanceof Request ? input.url : String(input);
    calls.push(url);
    const u = new URL(url, 'http://x');
    const after = Number(u.searchParams.get('after'));
    const limit = Number(u.searchParams.get('limit'));
    const items = ids.filter((id) => id > after).slice(0, limit).map((id) => ({ id }));
    return new Response(JSON.stringify({ items, nextCursor: null }), { status: 200 });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('latestEventId', () => {
  it('is 0 with one request when there are no events', async () => {
    const calls = fakeEvents([]);
    expect(await latestEventId()).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it.each([[[1]], [[1, 2, 3]], [[5, 9, 300, 301, 1_000]], [Array.from({ length: 5_000 }, (_, i) => i * 3 + 7)], [[1, 2, 1_000_000]]])(
    'finds the newest id in a log of %#',
    async (ids) => {
      const calls = fakeEvents(ids);
      expect(await latestEventId()).toBe(ids[ids.length - 1]);
      // Logarithmic, not a replay: a million ids take a few dozen probes.
      expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(ids[ids.length - 1] + 2)) + 4);
      for (const c of calls) expect(c).toMatch(/limit=1$/);
    },
  );
});
