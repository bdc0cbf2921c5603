import { ValidationError } from '../../domain/errors.ts';
import type { CloudProvider, ProviderName } from '../../providers/types.ts';
import type { ProviderRegistry } from '../ports.ts';

/** The build that made a snapshot (also on the builder server), so a retried step finds it. */
export const LABEL_SNAPSHOT_BUILD = 'hangar.dev/snapshot-build';
/** What a snapshot holds (Hetzner label; DigitalOcean keeps it as a tag). */
export const LABEL_CONTENTS = 'hangar.dev/contents';
export const SNAPSHOT_CONTENTS = 'docker-node-tailscale-fail2ban-ufw-agent';
/** Clouds that can image a server. */
export const SNAPSHOT_PROVIDERS = ['hetzner', 'digital-ocean'] as const;
export type SnapshotProvider = (typeof SNAPSHOT_PROVIDERS)[number];

/**
 * A configured cloud that can hold snapshots, or a 400 naming `field`.
 *
 * @example
 * const hz = snapshotCloud(providers, 'hetzner'); // throws ValidationError for 'local'
 */
export function snapshotCloud(providers: ProviderRegistry, name: string, field = 'provider'): CloudProvider & { name: SnapshotProvider } {
  if (!(SNAPSHOT_PROVIDERS as readonly string[]).includes(name)) {
    throw new ValidationError(`snapshots are built on ${SNAPSHOT_PROVIDERS.join(' or ')}, not "${name}"`, [{ field, message: `one of ${SNAPSHOT_PROVIDERS.join(', ')}` }]);
  }
  const p = providers.get(name as ProviderName);
  if (!p) throw new ValidationError(`provider "${name}" is not configured`, [{ field, message: `not configured; configured: ${[...providers.keys()].join(', ')}` }]);
  return p as CloudProvider & { name: SnapshotProvider };
}
