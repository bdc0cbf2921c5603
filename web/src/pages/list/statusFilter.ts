import { shownStatus } from '../../outcome.ts';
import type { Instance, InstanceQuery, Page } from '../../types.ts';

/** The status filter's value that lists every instance, stopped ones too. */
export const ALL_STATUSES = 'all';
/** The default: everything but stopped instances (failed ones stay: they need attention, or still cost money). */
export const DEFAULT_STATUS = '';

/** A status filter: the API's `status` query, and which of its answers the list keeps. */
export interface StatusFilter {
  /** `status` for GET /v1/instances (undefined: every status). */
  status?: string;
  keep: (i: Pick<Instance, 'status' | 'failureReason'>) => boolean;
}

/**
 * The list's status filter by the status an instance shows (outcome.ts): "failed" includes the
 * failed instances onFailure=destroy tore down (stopped, with their failure reason), and
 * "stopped" leaves them out. The default hides stopped instances only; `all` hides nothing.
 *
 * @example
 * statusFilter('failed') // → { status: 'failed,stopping,stopped', keep: (i) => shownStatus(i) === 'failed' }
 */
export function statusFilter(value: string): StatusFilter {
  if (value === ALL_STATUSES) return { keep: () => true };
  if (value === DEFAULT_STATUS) return { keep: (i) => shownStatus(i) !== 'stopped' };
  const wanted = value.split(',').filter(Boolean);
  const query = new Set(wanted);
  if (query.has('failed')) for (const s of ['stopping', 'stopped']) query.add(s);
  return { status: [...query].join(','), keep: (i) => wanted.includes(shownStatus(i)) };
}

/** Pages read at most for one screenful when the filter drops many rows (then "load more" goes on). */
const MAX_PAGES = 5;

/**
 * Read pages of the list until `want` rows pass `keep` (or the list or MAX_PAGES ends), counting
 * the rows left out. The cursor goes on after the last page read.
 *
 * @example
 * const { items, nextCursor, hidden } = await collect((q) => listInstances(q), { limit: 50 }, statusFilter('').keep, 50);
 */
export async function collect(
  list: (q: InstanceQuery) => Promise<Page<Instance>>,
  query: InstanceQuery,
  keep: StatusFilter['keep'],
  want: number,
): Promise<{ items: Instance[]; nextCursor: string | null; hidden: number }> {
  const items: Instance[] = [];
  let hidden = 0;
  let cursor = query.cursor;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await list({ ...query, limit: Math.min(200, Math.max(1, want)), cursor });
    for (const i of page.items) {
      if (keep(i)) items.push(i);
      else hidden++;
    }
    cursor = page.nextCursor ?? undefined;
    if (!cursor || items.length >= want) break;
  }
  return { items, nextCursor: cursor ?? null, hidden };
}
