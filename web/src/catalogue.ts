import { useEffect, useRef, useState } from 'react';
import { api } from './api.ts';
import type { Location, Price, ProviderInfo, ServerType } from './types.ts';

/**
 * Providers, their locations and server types, fetched once per page load (the server caches
 * them for an hour too) and shared by every screen. `refresh` asks the server to refetch.
 */
const cache = new Map<string, Promise<unknown>>();

function cached<T>(path: string, refresh = false): Promise<T> {
  const key = path;
  if (refresh) cache.delete(key);
  let hit = cache.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = api<T>('GET', refresh ? `${path}${path.includes('?') ? '&' : '?'}refresh=true` : path);
    cache.set(key, hit);
    hit.catch(() => cache.get(key) === hit && cache.delete(key));
  }
  return hit;
}

export const catalogue = {
  providers: (refresh = false) => cached<{ items: ProviderInfo[] }>('/v1/providers', refresh).then((r) => r.items),
  locations: (provider: string, refresh = false) => cached<{ items: Location[] }>(`/v1/providers/${encodeURIComponent(provider)}/locations`, refresh).then((r) => r.items),
  serverTypes: (provider: string, refresh = false) => cached<{ items: ServerType[] }>(`/v1/providers/${encodeURIComponent(provider)}/server-types`, refresh).then((r) => r.items),
  clear: () => cache.clear(),
};

/** The price of a server type at a location (or its first price when the location has none). */
export function priceOf(types: ServerType[] | undefined, serverType: string | null | undefined, location: string | null | undefined): Price | null {
  if (!types || !serverType) return null;
  const t = types.find((x) => x.name === serverType);
  if (!t) return null;
  return t.prices.find((p) => p.location === location) ?? (location ? null : t.prices[0]) ?? null;
}

export type Loadable<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: unknown };

/**
 * Load `fn()` whenever `key` changes (nothing while `fn` is null). Until the answer for the
 * current key arrives it reports `loading`, never the previous key's value.
 */
export function useLoad<T>(fn: (() => Promise<T>) | null, key: string): Loadable<T> {
  const [v, setV] = useState<{ key: string; value: Loadable<T> } | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const load = fnRef.current;
    if (!load) return;
    let live = true;
    load().then(
      (value) => live && setV({ key, value: { state: 'ok', value } }),
      (error: unknown) => live && setV({ key, value: { state: 'error', error } }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return v && v.key === key ? v.value : { state: 'loading' };
}
