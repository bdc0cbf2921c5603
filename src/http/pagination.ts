/**
 * Every item of a paginated list endpoint, in the two styles the clouds use: Hetzner's
 * `meta.pagination.next_page` and DigitalOcean's `links.pages.next`.
 *
 * @example
 * const servers = await hetznerPages<HcloudServer>(api, '/servers', 'servers', { label_selector: 'a=b' });
 */
import type { Query, RestClient } from './client.ts';

export interface PageOptions {
  perPage?: number;
  /** Stop after this many pages (a guard against servers that never end). Default 1000. */
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * Every item of a paginated list endpoint: `key` holds the items, `nextPage` reads the next page
 * number from a response (null at the end). Stops on a page that does not move forward.
 */
async function allPages<T>(client: RestClient, path: string, key: string, query: Query, po: PageOptions, maxPerPage: number, nextPage: (body: Record<string, unknown> | undefined) => number | null): Promise<T[]> {
  const perPage = Math.min(maxPerPage, Math.max(1, po.perPage ?? maxPerPage));
  const out: T[] = [];
  let page = 1;
  for (let i = 0; i < (po.maxPages ?? 1000); i++) {
    const body = await client.get<Record<string, unknown>>(path, { query: { ...query, page, per_page: perPage }, signal: po.signal });
    const items = body?.[key];
    if (Array.isArray(items)) out.push(...(items as T[]));
    const next = nextPage(body);
    if (next === null || !Number.isInteger(next) || next <= page) break;
    page = next;
  }
  return out;
}

/**
 * Every item of a Hetzner list endpoint, following `meta.pagination.next_page`
 * (`per_page` ≤ 50).
 *
 * @example
 * await hetznerPages<HcloudImage>(api, '/images', 'images', { type: 'snapshot' }) // → every snapshot
 */
export function hetznerPages<T>(client: RestClient, path: string, key: string, query: Query = {}, po: PageOptions = {}): Promise<T[]> {
  return allPages<T>(client, path, key, query, po, 50, (body) => {
    const next = (body?.meta as { pagination?: { next_page?: unknown } } | undefined)?.pagination?.next_page;
    return typeof next === 'number' ? next : null;
  });
}

/**
 * Every item of a DigitalOcean list endpoint, following `links.pages.next` (`per_page` ≤ 200).
 * Only the page number is taken from the next link, so the base URL stays ours.
 *
 * @example
 * await digitalOceanPages<DoDroplet>(api, '/v2/droplets', 'droplets', { tag_name: tag }) // → every tagged droplet
 */
export function digitalOceanPages<T>(client: RestClient, path: string, key: string, query: Query = {}, po: PageOptions = {}): Promise<T[]> {
  return allPages<T>(client, path, key, query, po, 200, (body) => {
    const link = (body?.links as { pages?: { next?: unknown } } | undefined)?.pages?.next;
    if (typeof link !== 'string') return null;
    try {
      return Number(new URL(link, 'http://x').searchParams.get('page'));
    } catch {
      return null;
    }
  });
}
