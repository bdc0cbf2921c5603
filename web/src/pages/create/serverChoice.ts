import type { Location, ProviderInfo, ServerType } from '../../types.ts';

/**
 * What the user chose in the create form's server section, and for which provider: a location or
 * server type belongs to the provider it was chosen for and counts for no other. Nothing is
 * chosen until the user chooses; defaults are derived (resolveServer), never written into the
 * choices, so no late default can overwrite a choice.
 */
export interface ServerChoices {
  provider: string | null;
  location: { provider: string; name: string } | null;
  serverType: { provider: string; name: string } | null;
}

export const NO_CHOICES: ServerChoices = { provider: null, location: null, serverType: null };

/** The catalogue as loaded so far: null while (or if not) loaded; locations and types are the resolved provider's. */
export interface LoadedCatalogue {
  providers: ProviderInfo[] | null;
  /** `forProvider`: the provider they were loaded for (a late answer for another one is ignored). */
  locations: { forProvider: string; items: Location[] } | null;
  serverTypes: { forProvider: string; items: ServerType[] } | null;
}

/** The form's provider, location and server type, and the server types offered at that location. */
export interface ResolvedServer {
  provider: string;
  location: string;
  serverType: string;
  available: ServerType[];
}

/** The provider chosen, else the default: local if offered, else the first. */
function resolveProvider(providers: ProviderInfo[] | null, chosen: string | null): string {
  if (chosen) return chosen;
  if (!providers?.length) return '';
  return (providers.find((p) => p.name === 'local') ?? providers[0]).name;
}

/**
 * The form's values from the user's choices and what the catalogue has loaded: the user's choice
 * always wins; a location or server type counts only for the provider it was chosen for, and a
 * server type only once that provider's own types are loaded and offer it (so a server type sent
 * always belongs to the chosen provider). Defaults: local; the only location; the only type.
 *
 * @example
 * resolveServer({ provider: 'hetzner', location: null, serverType: null }, { providers, locations: null, serverTypes: { forProvider: 'local', items: [process] } })
 * // → { provider: 'hetzner', location: '', serverType: '', available: [] }
 */
export function resolveServer(chosen: ServerChoices, loaded: LoadedCatalogue): ResolvedServer {
  const provider = resolveProvider(loaded.providers, chosen.provider);
  const locations = loaded.locations?.forProvider === provider ? loaded.locations.items : null;
  const types = loaded.serverTypes?.forProvider === provider ? loaded.serverTypes.items : null;

  let location = '';
  if (chosen.location?.provider === provider) location = chosen.location.name;
  else if (locations?.length === 1) location = locations[0].name;

  let available: ServerType[] = [];
  if (types) {
    const here = location ? types.filter((t) => t.prices.some((p) => p.location === location)) : types;
    available = here.length ? here : types;
  }
  let serverType = '';
  if (chosen.serverType?.provider === provider && available.some((t) => t.name === chosen.serverType?.name)) serverType = chosen.serverType.name;
  else if (available.length === 1) serverType = available[0].name;
  return { provider, location, serverType, available };
}

/**
 * Why the form cannot be sent for this provider, or null: the ssh provider installs on a host
 * someone registered, and it has none (its locations are its hosts).
 *
 * @example
 * blockedBy('ssh', { forProvider: 'ssh', items: [] }) // → 'no-ssh-hosts'
 */
export function blockedBy(provider: string, locations: LoadedCatalogue['locations']): 'no-ssh-hosts' | null {
  return provider === 'ssh' && locations?.forProvider === 'ssh' && locations.items.length === 0 ? 'no-ssh-hosts' : null;
}
