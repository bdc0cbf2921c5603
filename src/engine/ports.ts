import type { CloudProvider, ProviderName } from '../providers/types.ts';

/** The slice of a tailnet the engine needs (implemented by network/tailscale.ts). */
export interface Tailnet {
  createAuthKey(opts: { tags: string[]; expirySeconds: number; description?: string }): Promise<{ id: string; key: string; expires?: string }>;
  findDeviceByHostname(hostname: string): Promise<{ id: string; name?: string; hostname?: string; addresses?: string[] } | null>;
  deleteDevice(id: string): Promise<void>;
}

/** The providers this installation has configured, by name. */
export type ProviderRegistry = Map<ProviderName, CloudProvider>;
