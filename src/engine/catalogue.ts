import type { UnitPrice } from '../domain/budget.ts';
import type { Location, ServerType } from '../providers/types.ts';
import type { ProviderRegistry } from './ports.ts';

/**
 * Where the catalogue keeps server types with prices so every replica prices a create the same
 * way (src/db/stores/budgets.ts in production): what was last fetched, and when.
 */
export interface SharedPriceCache {
  cachedPrices(provider: string): Promise<{ serverTypes: Record<string, unknown>[]; fetchedAt: Date } | null>;
  storePrices(provider: string, serverTypes: Record<string, unknown>[]): Promise<void>;
}

/** Providers whose servers cost nothing Hangar can see (processes on this host, your own VPS). */
const FREE = new Set(['local', 'ssh']);

/**
 * Cached server types (with the cloud's own prices) and locations per provider: one hour, or
 * refreshed on demand. Server types go through the shared cache first (the database), so replicas
 * agree on prices and the dashboard and price columns never spend the cloud's rate limit.
 *
 * @example
 * const catalogue = new Catalogue(providers, 3_600_000, new DbBudgetStore(db));
 * await catalogue.price('hetzner', 'cpx22', 'nbg1'); // → { hourly: 0.0104, monthly: 6.49, currency: 'EUR' }
 */
export class Catalogue {
  private readonly types = new Map<string, { at: number; value: Promise<ServerType[]>; resolved?: ServerType[] }>();
  private readonly locations = new Map<string, { at: number; value: Promise<Location[]> }>();

  constructor(private readonly providers: ProviderRegistry, private readonly ttlMs = 3_600_000, private readonly shared?: SharedPriceCache) {}

  serverTypes(provider: string, refresh = false): Promise<ServerType[]> {
    return this.cached(this.types, provider, refresh, () => this.loadTypes(provider, refresh));
  }

  locationsOf(provider: string, refresh = false): Promise<Location[]> {
    return this.cached(this.locations, provider, refresh, () => this.providers.get(provider as never)!.listLocations());
  }

  /** Drop what is cached for a provider (its credentials changed). */
  forget(provider: string): void {
    this.types.delete(provider);
    this.locations.delete(provider);
  }

  /**
   * The price of a server type at a location, as the provider lists it: 0 for `local` and `ssh`,
   * null when the type is not offered there.
   */
  async price(provider: string, serverType: string | null, location: string | null): Promise<UnitPrice | null> {
    if (FREE.has(provider)) return { hourly: 0, monthly: 0, currency: '' };
    const t = (await this.serverTypes(provider)).find((x) => x.name === serverType);
    const p = t?.prices.find((x) => x.location === location);
    return p ? { hourly: p.hourly, monthly: p.monthly, currency: p.currency } : null;
  }

  /** Monthly price of a server type at a location, when the catalogue is already warm. */
  monthlyPrice(provider: string, serverType: string | null, location: string | null): number | null {
    const hit = this.types.get(provider);
    if (!hit || !serverType) return null;
    const t = hit.resolved?.find((x) => x.name === serverType);
    return t ? ((t.prices.find((p) => p.location === location) ?? t.prices[0])?.monthly ?? null) : null;
  }

  private async loadTypes(provider: string, refresh: boolean): Promise<ServerType[]> {
    const shared = FREE.has(provider) ? undefined : this.shared;
    if (shared && !refresh) {
      const hit = await shared.cachedPrices(provider);
      if (hit && Date.now() - hit.fetchedAt.getTime() < this.ttlMs) return hit.serverTypes as unknown as ServerType[];
    }
    const fresh = await this.providers.get(provider as never)!.listServerTypes();
    await shared?.storePrices(provider, fresh as unknown as Record<string, unknown>[]);
    return fresh;
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
