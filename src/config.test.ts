import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.ts';

describe('configFromEnv', () => {
  it('turns Tailscale SSH on by default and off with HANGAR_TAILSCALE_SSH=0, refusing a typo', () => {
    expect(configFromEnv({}).tailscaleSsh).toBe(true);
    expect(configFromEnv({ HANGAR_TAILSCALE_SSH: '0' }).tailscaleSsh).toBe(false);
    expect(configFromEnv({ HANGAR_TAILSCALE_SSH: '1' }).tailscaleSsh).toBe(true);
    expect(() => configFromEnv({ HANGAR_TAILSCALE_SSH: 'maybe' })).toThrow(/HANGAR_TAILSCALE_SSH must be 1 or 0/);
  });
});
