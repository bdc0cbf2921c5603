import { useEffect, useMemo, useState } from 'react';
import { catalogue } from '../../catalogue.ts';
import { useLoad } from '../../hooks.ts';
import type { ServerType } from '../../types.ts';

/** Provider → location → server type for the create form, loaded from the catalogue with sensible defaults. */
export function useServerChoice() {
  const providers = useLoad(() => catalogue.providers(), 'providers');
  const [provider, setProvider] = useState('');
  const [location, setLocation] = useState('');
  const [serverType, setServerType] = useState('');

  // Default to the local provider (or the only one) once the list arrives.
  useEffect(() => {
    if (providers.state === 'ok' && !provider && providers.value.length) {
      setProvider((providers.value.find((p) => p.name === 'local') ?? providers.value[0]).name);
    }
  }, [providers, provider]);

  const locations = useLoad(provider ? () => catalogue.locations(provider) : null, provider);
  const types = useLoad(provider ? () => catalogue.serverTypes(provider) : null, provider);

  // A single location or server type is chosen for you.
  useEffect(() => {
    if (locations.state === 'ok' && locations.value.length === 1 && !location) setLocation(locations.value[0].name);
  }, [locations, location]);
  const available: ServerType[] = useMemo(() => {
    if (types.state !== 'ok') return [];
    if (!location) return types.value;
    const here = types.value.filter((t) => t.prices.some((p) => p.location === location));
    return here.length ? here : types.value;
  }, [types, location]);
  useEffect(() => {
    if (types.state === 'ok' && available.length === 1 && !serverType) setServerType(available[0].name);
    if (serverType && types.state === 'ok' && !available.some((t) => t.name === serverType)) setServerType('');
  }, [types, available, serverType]);

  /** A new provider: its locations and server types start over. */
  const chooseProvider = (p: string) => {
    setProvider(p);
    setLocation('');
    setServerType('');
  };

  return { providers, locations, types, available, provider, location, serverType, chooseProvider, setLocation, setServerType };
}

export type ServerChoice = ReturnType<typeof useServerChoice>;
