import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import type { CloudProvider, ProviderName } from '../providers/types.ts';
import { AgentChannelSlot, engineResources, providerOf, type EngineDeps } from './resources.ts';
import { RuntimeSettings } from './settings.ts';

/** Enough deps to build resources: the systems are not run here. */
const deps = (over: Partial<EngineDeps> = {}): EngineDeps =>
  ({ boss: {}, store: {}, providers: new Map(), settings: new RuntimeSettings(), stateTimeouts: { booting: 5 }, snapshotIds: { hetzner: '1' }, releaseKeys: ['k'], pollSeconds: 1, ...over }) as unknown as EngineDeps;

describe('engine resources', () => {
  it('are frozen, nested settings too, and a copy: the caller changing its deps object changes nothing', () => {
    const d = deps();
    const r = engineResources(d);
    expect(Object.isFrozen(r)).toBe(true);
    expect(() => ((r as { heartbeatSeconds: number }).heartbeatSeconds = 5)).toThrow(TypeError);
    expect(() => ((r.stateTimeouts as { booting: number }).booting = 1)).toThrow(TypeError);
    expect(() => (r.releaseKeys as string[]).push('x')).toThrow(TypeError);
    (d as { pollSeconds: number }).pollSeconds = 99;
    d.stateTimeouts!.booting = 1;
    expect([r.pollSeconds, r.stateTimeouts?.booting]).toEqual([1, 5]);
  });

  it('providerOf: a configured provider, else a 400 naming provider (with how to switch a disabled one on)', () => {
    const local = { name: 'local', userDataLimit: 65536 } as CloudProvider;
    const r = engineResources(deps({ providers: new Map<ProviderName, CloudProvider>([['local', local]]), disabledProviders: { ssh: 'set HANGAR_SSH=1' } }));
    expect(providerOf(r, 'local')).toBe(local);
    const errorOf = (name: string) => {
      try {
        providerOf(r, name);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('no error');
    };
    expect(errorOf('ssh')).toMatchObject({ status: 400, errors: [{ field: 'provider', message: 'set HANGAR_SSH=1' }] });
    expect(errorOf('hetzner')).toMatchObject({ status: 400, message: 'provider "hetzner" is not configured', errors: [{ field: 'provider', message: 'not configured; configured: local' }] });
  });
});

describe('AgentChannelSlot', () => {
  it('answers false until a channel is attached, then asks it; a second attach is refused', async () => {
    const slot = new AgentChannelSlot();
    expect(await slot.shutdown('i1')).toBe(false);
    const asked: string[] = [];
    slot.attach({ shutdown: async (id) => (asked.push(id), true) });
    expect(await slot.shutdown('i2')).toBe(true);
    expect(asked).toEqual(['i2']);
    expect(() => slot.attach({ shutdown: async () => false })).toThrow(/already attached/);
  });
});
