import { listLocations, listProviders, listServerTypes } from './api.ts';
import type { Location, Price, ProviderInfo, ServerType } from './types.ts';

/**
 * Providers, their locations and server types, fetched once per page load (the server caches
 * them for an hour too) and shared by every screen. `refresh` asks the server to refetch.
 */
const cache = new Map<string, Promise<unknown>>();

function cached<T>(key: string, refresh: boolean, load: (refresh: boolean) => Promise<T>): Promise<T> {
  if (refresh) cache.delete(key);
  let hit = cache.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = load(refresh);
    cache.set(key, hit);
    hit.catch(() => cache.get(key) === hit && cache.delete(key));
  }
  return hit;
}

/**
 * The shared, cached catalogue.
 *
 * @example
 * const types = await catalogue.serverTypes('local');
 */
export const catalogue = {
  providers: (refresh = false): Promise<ProviderInfo[]> => cached('providers', refresh, (r) => listProviders({ refresh: r })),
  locations: (provider: string, refresh = false): Promise<Location[]> => cached(`locations:${provider}`, refresh, (r) => listLocations(provider, { refresh: r })),
  serverTypes: (provider: string, refresh = false): Promise<ServerType[]> => cached(`server-types:${provider}`, refresh, (r) => listServerTypes(provider, { refresh: r })),
  clear: () => cache.clear(),
};

/**
 * The price of a server type at a location (or its first price when the location has none).
 *
 * @example
 * priceOf(types, 'cx22', 'fsn1')?.monthly;
 */
export function priceOf(types: ServerType[] | undefined, serverType: string | null | undefined, location: string | null | undefined): Price | null {
  if (!types || !serverType) return null;
  const t = types.find((x) => x.name === serverType);
  if (!t) return null;
  return t.prices.find((p) => p.location === location) ?? (location ? null : t.prices[0]) ?? null;
}
