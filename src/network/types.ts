/**
 * The network side's contract: the slice of a tailnet the engine needs ({@link Tailnet}).
 * network/tailscale.ts implements it; the engine (engine/ports.ts re-exports it) and the
 * provider registry depend only on this.
 *
 * @example
 * const tailnet: Tailnet = new TailscaleClient({ apiKey });
 * const { key } = await tailnet.createAuthKey({ tags: ['tag:hangar'], expirySeconds: 600 });
 */

/** The slice of a tailnet the engine needs (implemented by network/tailscale.ts). */
export interface Tailnet {
  createAuthKey(opts: { tags: string[]; expirySeconds: number; description?: string }): Promise<{ id: string; key: string; expires?: string }>;
  findDeviceByHostname(hostname: string): Promise<{ id: string; name?: string; hostname?: string; addresses?: string[] } | null>;
  deleteDevice(id: string): Promise<void>;
}
