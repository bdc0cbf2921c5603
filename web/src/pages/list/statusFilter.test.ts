import { describe, expect, it } from 'vitest';
import type { Instance, InstanceQuery } from '../../types.ts';
import { collect, statusFilter } from './statusFilter.ts';

const row = (id: string, status: Instance['status'], failureReason: string | null = null) => ({ id, status, failureReason }) as Instance;
const running = row('a', 'running');
const failed = row('b', 'failed', 'workload never healthy');
const failedTornDown = row('c', 'stopped', 'create_server failed: invalid input');
const stopped = row('d', 'stopped');
const stopping = row('e', 'stopping');
const ALL = [running, failed, failedTornDown, stopped, stopping];
const kept = (value: string) => ALL.filter(statusFilter(value).keep).map((i) => i.id);

describe('statusFilter', () => {
  it('lists failed instances by default, torn down or not, and hides only stopped ones', () => {
    expect(statusFilter('').status).toBeUndefined();
    expect(kept('')).toEqual(['a', 'b', 'c', 'e']);
  });
  it('lists everything with "all"', () => {
    expect(kept('all')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
  it('finds every failed instance under "failed", and only really stopped ones under "stopped"', () => {
    expect(statusFilter('failed').status).toBe('failed,stopping,stopped');
    expect(kept('failed')).toEqual(['b', 'c']);
    expect(statusFilter('stopped').status).toBe('stopped');
    expect(kept('stopped')).toEqual(['d']);
    expect(kept('pending,provisioning,running')).toEqual(['a']);
  });
});

describe('collect', () => {
  /** A paged list of `rows`, `size` a page, recording the queries. */
  function pager(rows: Instance[], size: number) {
    const queries: InstanceQuery[] = [];
    const list = async (q: InstanceQuery) => {
      queries.push(q);
      const from = q.cursor ? Number(q.cursor) : 0;
      const to = Math.min(rows.length, from + Math.min(size, q.limit ?? size));
      return { items: rows.slice(from, to), nextCursor: to < rows.length ? String(to) : null };
    };
    return { list, queries };
  }

  it('reads on past hidden rows until it has enough, and counts what it hid', async () => {
    const rows = [stopped, stopped, running, stopped, failedTornDown, stopped, failed];
    const { list, queries } = pager(rows, 2);
    const out = await collect(list, { provider: 'local' }, statusFilter('').keep, 2);
    expect(out.items.map((i) => i.id)).toEqual(['a', 'c']);
    expect(out.hidden).toBe(4);
    expect(out.nextCursor).toBe('6');
    expect(queries.every((q) => q.provider === 'local')).toBe(true);
  });

  it('stops at the end of the list', async () => {
    const { list } = pager([stopped, running], 50);
    expect(await collect(list, {}, statusFilter('').keep, 50)).toMatchObject({ nextCursor: null, hidden: 1 });
  });
});
