import type { BootstrapInput, WorkloadKind } from '../../bootstrap/types.ts';
import { ValidationError } from '../../domain/errors.ts';
import type { CloudProvider, ProviderName } from '../../providers/types.ts';
import type { EngineResources } from '../resources.ts';
import type { InstanceRow } from '../store.ts';

/**
 * The one user-data size check: against the provider's own `userDataLimit` (the single source
 * of truth: Hetzner 32 KiB, DigitalOcean 64 KiB, …), before any cloud call. Instance creates,
 * dry runs and snapshot builders all pass through it.
 *
 * @example
 * checkUserDataSize(hetzner, userData); // throws ValidationError (field userData) past 32768 bytes
 */
export function checkUserDataSize(provider: Pick<CloudProvider, 'name' | 'userDataLimit'>, userData: string): number {
  const bytes = Buffer.byteLength(userData, 'utf8');
  const limit = provider.userDataLimit;
  if (bytes > limit) {
    throw new ValidationError(`user-data is ${bytes} bytes; ${provider.name} accepts at most ${limit} bytes (${Math.floor(limit / 1024)} KiB)`, [
      { field: 'userData', message: `${bytes} bytes exceeds the ${provider.name} limit of ${limit} bytes` },
    ]);
  }
  return bytes;
}

/**
 * What an instance's server is bootstrapped with: its user-data is rendered from it (the only
 * secret in it is the one-time token; the agent bundle's sha256 is pinned in it), and providers
 * without cloud-init (local, ssh) get it as `ServerSpec.bootstrap`.
 *
 * @example
 * const input = await bootstrapFor(r, row, token);
 */
export async function bootstrapFor(r: EngineResources, row: Pick<InstanceRow, 'id' | 'provider' | 'bootstrapPath' | 'serverName' | 'workload' | 'tailscale'>, token: string): Promise<BootstrapInput> {
  return {
    provider: row.provider as ProviderName,
    path: (row.bootstrapPath as 'full' | 'snapshot' | null) ?? 'full',
    bootstrap: { apiUrl: r.settings.publicUrl, token, instanceId: row.id, serverName: row.serverName },
    workload: row.workload as WorkloadKind,
    bootstrapVersion: r.bootstrapVersion,
    tailscale: row.tailscale,
    agentBundleSha256: await r.agentBundleSha256(),
  };
}

/**
 * Render an instance's user-data and check it fits its provider: what creates and dry runs send.
 *
 * @example
 * const { userData, bytes } = renderUserDataFor(r, provider, await bootstrapFor(r, row, token));
 */
export function renderUserDataFor(r: EngineResources, provider: CloudProvider, input: BootstrapInput): { userData: string; bytes: number } {
  const userData = r.renderUserData(input);
  return { userData, bytes: checkUserDataSize(provider, userData) };
}
