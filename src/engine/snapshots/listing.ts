import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_ROLE } from '../../domain/names.ts';
import type { Image, ProviderName } from '../../providers/types.ts';
import type { ProviderRegistry } from '../ports.ts';
import { SNAPSHOT_PROVIDERS, snapshotCloud, type SnapshotProvider } from './clouds.ts';

/** One of our labelled snapshots, as `GET /v1/snapshots` lists it. */
export interface SnapshotInfo {
  id: string;
  name: string;
  provider: SnapshotProvider;
  bootstrapVersion: string | null;
  createdAt: string | null;
  sizeGb: number | null;
  locations: string[] | null;
  current: boolean;
}

export interface SnapshotListingDeps {
  providers: ProviderRegistry;
  installationId: string;
  bootstrapVersion: string;
  /** How long a provider's snapshot listing is reused for path selection (default 60 s). */
  cacheSeconds?: number;
}

/**
 * The clouds' snapshots as this installation sees them: a per-provider cache (path selection
 * reads it, a dry run reads only it), our labelled snapshots listed, one deleted, old ones pruned.
 *
 * @example
 * const listing = new SnapshotListing({ providers, installationId, bootstrapVersion });
 * const current = await listing.currentSnapshot('hetzner', 'nbg1'); // newest for this bootstrap version
 */
export class SnapshotListing {
  private readonly cache = new Map<string, { at: number; images: Image[] }>();

  constructor(private readonly deps: SnapshotListingDeps) {}

  /** Every snapshot of a provider (ours and others'), cached for `cacheSeconds`; `cachedOnly`: no cloud call. */
  async snapshotsOf(provider: string, refresh = false, cachedOnly = false): Promise<Image[]> {
    const p = this.deps.providers.get(provider as ProviderName);
    if (!p) return [];
    const hit = this.cache.get(provider);
    if (cachedOnly) return hit?.images ?? [];
    if (!refresh && hit && Date.now() - hit.at < (this.deps.cacheSeconds ?? 60) * 1000) return hit.images;
    const images = await p.listImages({ kind: 'snapshot' });
    this.cache.set(provider, { at: Date.now(), images });
    return images;
  }

  /** Forget a provider's cached listing (a snapshot was made or deleted). */
  invalidate(provider: string): void {
    this.cache.delete(provider);
  }

  /** The newest snapshot this installation built for `provider` with the current bootstrap version (usable at `location`). */
  async currentSnapshot(provider: string, location?: string | null, cachedOnly = false): Promise<Image | null> {
    const images = (await this.snapshotsOf(provider, false, cachedOnly)).filter(
      (i) =>
        i.labels[LABEL_INSTALLATION] === this.deps.installationId &&
        i.labels[LABEL_ROLE] === 'snapshot' &&
        i.labels[LABEL_BOOTSTRAP_VERSION] === this.deps.bootstrapVersion &&
        (!location || !i.locations?.length || i.locations.includes(location)),
    );
    return [...images].sort(compareNewest)[0] ?? null;
  }

  /** A snapshot by id, or null (a cached miss is checked once more against the cloud). */
  async findSnapshot(provider: string, id: string, cachedOnly = false): Promise<Image | null> {
    const find = (list: Image[]) => list.find((i) => i.id === id) ?? null;
    if (cachedOnly) return find(await this.snapshotsOf(provider, false, true));
    return find(await this.snapshotsOf(provider)) ?? find(await this.snapshotsOf(provider, true));
  }

  /** Our labelled snapshots, across configured clouds (or one). */
  async list(provider?: string): Promise<SnapshotInfo[]> {
    const names = provider ? [snapshotCloud(this.deps.providers, provider).name] : SNAPSHOT_PROVIDERS.filter((n) => this.deps.providers.has(n));
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      for (const i of await this.snapshotsOf(name, true)) {
        if (i.labels[LABEL_INSTALLATION] !== this.deps.installationId || i.labels[LABEL_ROLE] !== 'snapshot') continue;
        const version = i.labels[LABEL_BOOTSTRAP_VERSION] ?? null;
        out.push({ id: i.id, name: i.name, provider: name, bootstrapVersion: version, createdAt: i.createdAt ?? null, sizeGb: i.sizeGb ?? null, locations: i.locations ?? null, current: version === this.deps.bootstrapVersion });
      }
    }
    return out.sort((a, b) => a.provider.localeCompare(b.provider) || compareNewest(a, b));
  }

  /** Delete one of our snapshots (404 when it is not ours or does not exist). */
  async remove(provider: string, id: string): Promise<void> {
    const p = snapshotCloud(this.deps.providers, provider);
    const ours = (await this.list(provider)).find((s) => s.id === id);
    if (!ours) throw new NotFoundError('snapshot', `${provider}/${id}`);
    if (!p.deleteSnapshot) throw new ValidationError(`${provider} cannot delete snapshots`, [{ field: 'provider', message: 'no snapshot support' }]);
    await p.deleteSnapshot(id);
    this.invalidate(provider);
  }

  /** Delete our snapshots except the newest per provider and bootstrap version. */
  async prune(provider?: string): Promise<{ deleted: SnapshotInfo[]; kept: SnapshotInfo[] }> {
    const kept: SnapshotInfo[] = [];
    const deleted: SnapshotInfo[] = [];
    const seen = new Set<string>();
    for (const s of (await this.list(provider)).sort(compareNewest)) {
      const key = `${s.provider}\u0000${s.bootstrapVersion ?? ''}`;
      if (seen.has(key)) deleted.push(s);
      else {
        seen.add(key);
        kept.push(s);
      }
    }
    for (const s of deleted) {
      await this.deps.providers.get(s.provider)!.deleteSnapshot?.(s.id);
      this.invalidate(s.provider);
    }
    return { deleted, kept };
  }

  /** Learn the clouds' snapshots now (bounded by `ms`), so the first creates choose their path from the cache. */
  async warm(ms: number): Promise<void> {
    const warm = Promise.allSettled(SNAPSHOT_PROVIDERS.filter((n) => this.deps.providers.has(n)).map((n) => this.snapshotsOf(n)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([warm, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }
}

/** Newest first (by creation time, then by id). */
function compareNewest(a: { createdAt?: string | null; id: string }, b: { createdAt?: string | null; id: string }): number {
  const ta = a.createdAt ? Date.parse(a.createdAt) : 0;
  const tb = b.createdAt ? Date.parse(b.createdAt) : 0;
  if (tb !== ta) return tb - ta;
  return Number(b.id) - Number(a.id) || b.id.localeCompare(a.id);
}
