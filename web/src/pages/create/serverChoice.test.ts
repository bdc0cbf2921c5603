import { describe, expect, it } from 'vitest';
import type { Location, ProviderInfo, ServerType } from '../../types.ts';
import { blockedBy, NO_CHOICES, resolveServer, type LoadedCatalogue, type ServerChoices } from './serverChoice.ts';

const providers = ['local', 'ssh', 'hetzner'].map((name) => ({ name, userDataLimit: 32768, credentials: 'none needed' }) as ProviderInfo);
const type = (name: string, locations: string[]) => ({ name, cores: 2, memoryGb: 4, diskGb: 40, prices: locations.map((location) => ({ location, hourly: 0, monthly: 3, currency: 'EUR' })) }) as ServerType;
const loc = (name: string) => ({ name }) as Location;
const localTypes = { forProvider: 'local', items: [type('process', ['local'])] };
const localLocations = { forProvider: 'local', items: [loc('local')] };
const hetznerTypes = { forProvider: 'hetzner', items: [type('cx23', ['fsn1', 'nbg1']), type('cpx22', ['fsn1', 'ash'])] };
const hetznerLocations = { forProvider: 'hetzner', items: [loc('fsn1'), loc('nbg1'), loc('ash')] };
const chose = (c: Partial<ServerChoices>): ServerChoices => ({ ...NO_CHOICES, ...c });
const loaded = (c: Partial<LoadedCatalogue>): LoadedCatalogue => ({ providers, locations: null, serverTypes: null, ...c });

describe('resolveServer', () => {
  it('defaults to local, its only location and its only server type', () => {
    expect(resolveServer(NO_CHOICES, loaded({ locations: localLocations, serverTypes: localTypes }))).toMatchObject({ provider: 'local', location: 'local', serverType: 'process' });
    expect(resolveServer(NO_CHOICES, loaded({ providers: null })).provider).toBe('');
  });

  it('keeps the user’s provider whatever loads after it (the provider list, local’s catalogue)', () => {
    const hetzner = chose({ provider: 'hetzner' });
    expect(resolveServer(hetzner, loaded({ providers: null })).provider).toBe('hetzner');
    expect(resolveServer(hetzner, loaded({ locations: localLocations, serverTypes: localTypes }))).toEqual({ provider: 'hetzner', location: '', serverType: '', available: [] });
  });

  it('never gives a provider another provider’s server type or location', () => {
    const stale = chose({ provider: 'hetzner', location: { provider: 'local', name: 'local' }, serverType: { provider: 'local', name: 'process' } });
    expect(resolveServer(stale, loaded({ locations: hetznerLocations, serverTypes: hetznerTypes }))).toMatchObject({ provider: 'hetzner', location: '', serverType: '' });
    // A type chosen for hetzner that it does not offer (e.g. typed in a stale form) is not sent either.
    expect(resolveServer(chose({ provider: 'hetzner', serverType: { provider: 'hetzner', name: 'process' } }), loaded({ serverTypes: hetznerTypes })).serverType).toBe('');
  });

  it('keeps a location and server type chosen for the provider, and drops a type the location does not offer', () => {
    const c = chose({ provider: 'hetzner', location: { provider: 'hetzner', name: 'fsn1' }, serverType: { provider: 'hetzner', name: 'cx23' } });
    const both = loaded({ locations: hetznerLocations, serverTypes: hetznerTypes });
    expect(resolveServer(c, both)).toMatchObject({ location: 'fsn1', serverType: 'cx23' });
    expect(resolveServer({ ...c, location: { provider: 'hetzner', name: 'ash' } }, both)).toMatchObject({ location: 'ash', serverType: 'cpx22', available: [hetznerTypes.items[1]] });
  });

  it('respects "provider default" chosen over a single location', () => {
    expect(resolveServer(chose({ location: { provider: 'local', name: '' } }), loaded({ locations: localLocations })).location).toBe('');
  });
});

describe('blockedBy', () => {
  it('blocks the ssh provider while it has no hosts, and nothing else', () => {
    expect(blockedBy('ssh', { forProvider: 'ssh', items: [] })).toBe('no-ssh-hosts');
    expect(blockedBy('ssh', { forProvider: 'ssh', items: [loc('web-1')] })).toBeNull();
    expect(blockedBy('ssh', null)).toBeNull();
    expect(blockedBy('hetzner', { forProvider: 'hetzner', items: [] })).toBeNull();
  });
});
