import type { Db } from '../db/client.ts';
import type { Image } from '../providers/types.ts';
import { BuildStore, type SnapshotBuild, type SnapshotBuildRow } from './snapshots/build-store.ts';
import { SnapshotListing, type SnapshotInfo } from './snapshots/listing.ts';
import { builderAuthorized, recordReady, type ReadyReport } from './snapshots/ready.ts';
import { BuildWorkflow, type BuildWorkflowDeps } from './snapshots/workflow.ts';

export { LABEL_CONTENTS, LABEL_SNAPSHOT_BUILD, SNAPSHOT_CONTENTS, SNAPSHOT_PROVIDERS, type SnapshotProvider } from './snapshots/clouds.ts';
export type { BuildEvent, SnapshotBuild, SnapshotBuildRow } from './snapshots/build-store.ts';
export type { SnapshotInfo } from './snapshots/listing.ts';

/** What the snapshot builder is made of: the build workflow's deps, the database, the listing's cache time. */
export type SnapshotBuilderDeps = Omit<BuildWorkflowDeps, 'onImaged'> & {
  db: Db;
  /** How long a provider's snapshot listing is reused for path selection (default 60 s). */
  cacheSeconds?: number;
};

/**
 * Snapshots: the build workflow (snapshots/workflow.ts), the builder's ready report
 * (snapshots/ready.ts), and the labelled-snapshot listing the engine's path selection reads
 * (snapshots/listing.ts). Builds' progress is in the one event log (snapshots/build-store.ts).
 *
 * @example
 * const snapshots = new SnapshotBuilder({ db, boss, providers, installationId, … });
 * const build = await snapshots.start({ provider: 'hetzner' }); // build.status === 'pending'
 */
export class SnapshotBuilder {
  private readonly store: BuildStore;
  private readonly listing: SnapshotListing;
  private readonly workflow: BuildWorkflow;

  constructor(deps: SnapshotBuilderDeps) {
    this.store = new BuildStore(deps.db);
    this.listing = new SnapshotListing(deps);
    this.workflow = new BuildWorkflow(this.store, { ...deps, onImaged: (provider) => this.listing.invalidate(provider) });
  }

  // ── listing (and the engine's path selection) ───────────────────────────────

  /** The newest snapshot this installation built for `provider` with the current bootstrap version. */
  currentSnapshot(provider: string, location?: string | null, cachedOnly = false): Promise<Image | null> {
    return this.listing.currentSnapshot(provider, location, cachedOnly);
  }

  /** A snapshot by id, or null. */
  findSnapshot(provider: string, id: string, cachedOnly = false): Promise<Image | null> {
    return this.listing.findSnapshot(provider, id, cachedOnly);
  }

  /** Our labelled snapshots, across configured clouds (or one). */
  list(provider?: string): Promise<SnapshotInfo[]> {
    return this.listing.list(provider);
  }

  /** Delete one of our snapshots (404 when it is not ours or does not exist). */
  remove(provider: string, id: string): Promise<void> {
    return this.listing.remove(provider, id);
  }

  /** Delete our snapshots except the newest per provider and bootstrap version. */
  prune(provider?: string): Promise<{ deleted: SnapshotInfo[]; kept: SnapshotInfo[] }> {
    return this.listing.prune(provider);
  }

  // ── builds ──────────────────────────────────────────────────────────────────

  /** Record a build and enqueue it. */
  async start(input: { provider: string; location?: string | null }): Promise<SnapshotBuild> {
    const [build] = await this.store.withEvents([await this.workflow.start(input)]);
    return build;
  }

  /** A build with its progress (NotFoundError for an unknown or malformed id). */
  async get(id: string): Promise<SnapshotBuild> {
    const [build] = await this.store.withEvents([await this.store.get(id)]);
    return build;
  }

  /** The newest builds with their progress. */
  async builds(limit = 50): Promise<SnapshotBuild[]> {
    return this.store.withEvents(await this.store.list(limit));
  }

  /** Whether `token` is the build token of build `id` (the API's `builder` access). */
  authorizes(id: string, token: string | null): Promise<boolean> {
    return builderAuthorized(this.store, id, token);
  }

  /** The builder's report: authorized by the build token only (compared by hash); recorded once. */
  async ready(id: string, token: string | null, body: ReadyReport): Promise<SnapshotBuildRow> {
    const { row, recorded } = await recordReady(this.store, id, token, body);
    if (recorded) await this.workflow.reported(id);
    return row;
  }

  /** Register workers, give unfinished builds their job back, and learn the clouds' snapshots (bounded). */
  async work(workers = 2): Promise<void> {
    await this.workflow.work(workers);
    await this.listing.warm(5000);
  }
}

/**
 * The API's view of a build (never the token); `events` is its progress from the event log.
 *
 * @example
 * reply.send(snapshotBuildJson(await snapshots.get(id))); // { id, status, events: [{ at, status, message }], … }
 */
export function snapshotBuildJson(row: SnapshotBuild): Record<string, unknown> {
  return {
    id: row.id,
    provider: row.provider,
    location: row.location,
    status: row.status,
    bootstrapVersion: row.bootstrapVersion,
    serverId: row.serverId,
    imageId: row.imageId,
    error: row.error,
    readyAt: row.readyAt?.toISOString() ?? null,
    deadlineAt: row.deadlineAt?.toISOString() ?? null,
    events: row.events,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
