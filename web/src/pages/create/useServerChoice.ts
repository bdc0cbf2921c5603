import { useState } from 'react';
import { catalogue } from '../../catalogue.ts';
import { useLoad, type Loadable } from '../../hooks.ts';
import { blockedBy, NO_CHOICES, resolveServer, type LoadedCatalogue, type ServerChoices } from './serverChoice.ts';

/** The value of a loaded Loadable, tagged with the provider it was loaded for. */
const forProvider = <T>(l: Loadable<T[]>, provider: string) => (l.state === 'ok' ? { forProvider: provider, items: l.value } : null);

/**
 * Provider → location → server type for the create form. Only the user's choices are state; the
 * defaults (local, a single location or server type) are derived on every render (serverChoice.ts),
 * so a catalogue answer that arrives late can never overwrite a choice, and a server type always
 * belongs to the chosen provider.
 */
export function useServerChoice() {
  const providers = useLoad(() => catalogue.providers(), 'providers');
  const [chosen, setChosen] = useState<ServerChoices>(NO_CHOICES);
  const provisional = resolveServer(chosen, { providers: providers.state === 'ok' ? providers.value : null, locations: null, serverTypes: null }).provider;
  // useLoad answers only for the current key: these are the current provider's, or loading.
  const locations = useLoad(provisional ? () => catalogue.locations(provisional) : null, provisional);
  const types = useLoad(provisional ? () => catalogue.serverTypes(provisional) : null, provisional);
  const loaded: LoadedCatalogue = {
    providers: providers.state === 'ok' ? providers.value : null,
    locations: forProvider(locations, provisional),
    serverTypes: forProvider(types, provisional),
  };
  const { provider, location, serverType, available } = resolveServer(chosen, loaded);

  /** A new provider: its location and server type start over (defaults apply until chosen). */
  const chooseProvider = (p: string) => setChosen({ provider: p, location: null, serverType: null });
  /** Choices made on this render's options belong to this render's provider. */
  const setLocation = (name: string) => setChosen((c) => ({ ...c, location: { provider, name } }));
  const setServerType = (name: string) => setChosen((c) => ({ ...c, serverType: { provider, name } }));
  const blocked = blockedBy(provider, loaded.locations);

  return { providers, locations, types, available, provider, location, serverType, blocked, chooseProvider, setLocation, setServerType };
}

export type ServerChoice = ReturnType<typeof useServerChoice>;
