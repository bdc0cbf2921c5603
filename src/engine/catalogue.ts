import type { Location, ServerType } from '../providers/types.ts';
import type { ProviderRegistry } from './ports.ts';

/**
 * Cached server types and locations per provider (one hour, or refreshed on demand), so the
 * dashboard and price columns never spend the cloud's rate limit.
 */
export class Catalogue {
  private readonly types = new Map<string, { at: number; value: Promise<ServerType[]> }>();
  private readonly locations = new Map<string, { at: number; value: Promise<Location[]> }>();

  constructor(private readonly providers: ProviderRegistry, private readonly ttlMs = 3_600_000) {}

  serverTypes(provider: string, refresh = false): Promise<ServerType[]> {
    return this.cached(this.types, provider, refresh, () => this.providers.get(provider as never)!.listServerTypes());
  }

  locationsOf(provider: string, refresh = false): Promise<Location[]> {
    return this.cached(this.locations, provider, refresh, () => this.providers.get(provider as never)!.listLocations());
  }

  /** Drop what is cached for a provider (its credentials changed). */
  forget(provider: string): void {
    this.types.delete(provider);
    this.locations.delete(provider);
  }

  /** Monthly price of a server type at a location, when the catalogue is already warm. */
  monthlyPrice(provider: string, serverType: string | null, location: string | null): number | null {
    const hit = this.types.get(provider);
    if (!hit || !serverType) return null;
    const t = (hit as { resolved?: ServerType[] }).resolved?.find((x) => x.name === serverType);
    return t ? ((t.prices.find((p) => p.location === location) ?? t.prices[0])?.monthly ?? null) : null;
  }

  private cached<T>(map: Map<string, { at: number; value: Promise<T>; resolved?: T }>, key: string, refresh: boolean, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && !refresh && Date.now() - hit.at < this.ttlMs) return hit.value;
    const entry: { at: number; value: Promise<T>; resolved?: T } = { at: Date.now(), value: load() };
    entry.value.then(
      (v) => (entry.resolved = v),
      () => map.get(key) === entry && map.delete(key),
    );
    map.set(key, entry);
    return entry.value;
  }
}
