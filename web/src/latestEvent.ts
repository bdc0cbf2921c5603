import { allEvents } from './api.ts';

/**
 * The id of the newest event in the installation, so a live stream can start from now instead
 * of replaying the whole history. The API lists events oldest first (`after`, `limit`), so this
 * gallops then bisects with `limit=1` probes: about 2·log2(n) small requests, 1 when empty.
 *
 * @example
 * followEvents({ lastEventId: await latestEventId(), onEvent });
 */
export async function latestEventId(signal?: AbortSignal): Promise<number> {
  const next = async (after: number): Promise<number | null> => (await allEvents(after, 1, { signal })).items[0]?.id ?? null;
  let lo = await next(0); // an id that exists
  if (lo === null) return 0;
  let hi: number | null = null; // nothing exists after hi
  for (let step = 1; hi === null; step *= 2) {
    const r = await next(lo + step);
    if (r === null) hi = lo + step;
    else lo = r;
  }
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await next(mid);
    if (r === null) hi = mid;
    else lo = r;
  }
  return lo;
}
