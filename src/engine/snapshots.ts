import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { SnapshotBuilderInput } from '../bootstrap/types.ts';
import type { Db } from '../db/client.ts';
import { snapshotBuilds } from '../db/schema.ts';
import { HangarError, NotFoundError, ProviderError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_ROLE } from '../domain/names.ts';
import { hashToken, open, seal, tokenMatches } from '../domain/tokens.ts';
import type { CloudProvider, Image, ProviderName } from '../providers/types.ts';
import type { ProviderRegistry } from './ports.ts';
import { QUEUES } from './queue.ts';

/** The build that made a snapshot (also on the builder server), so a retried step finds it. */
export const LABEL_SNAPSHOT_BUILD = 'hangar.dev/snapshot-build';
/** What a snapshot holds (Hetzner label; DigitalOcean keeps it as a tag). */
export const LABEL_CONTENTS = 'hangar.dev/contents';
export const SNAPSHOT_CONTENTS = 'docker-node-tailscale-fail2ban-ufw-agent';
/** Clouds that can image a server. */
export const SNAPSHOT_PROVIDERS = ['hetzner', 'digital-ocean'] as const;
export type SnapshotProvider = (typeof SNAPSHOT_PROVIDERS)[number];

export type SnapshotBuildRow = typeof snapshotBuilds.$inferSelect;
export type SnapshotBuildStatus = 'pending' | 'building' | 'imaging' | 'done' | 'failed';

export interface SnapshotBuilderDeps {
  db: Db;
  boss: PgBoss;
  providers: ProviderRegistry;
  installationId: string;
  secretKey: Buffer;
  bootstrapVersion: string;
  /** URL builder servers report to (read when a builder is created: set after listen). */
  publicUrl: () => string;
  renderBuilderUserData: (input: SnapshotBuilderInput) => string;
  /** sha256 of the agent bundle the builder downloads (pinned in its user-data). */
  agentBundleSha256: () => Promise<string>;
  log: Logger;
  /** How long a builder may take to report ready (default 30 min). */
  readyTimeoutSeconds?: number;
  /** How long one job run waits in-process for the ready report before handing the job back (default 20 s). */
  waitSliceSeconds?: number;
  pollSeconds?: number;
  /** How long a provider's snapshot listing is reused for path selection (default 60 s). */
  cacheSeconds?: number;
}

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

export interface SnapshotJob {
  buildId: string;
}

/**
 * Snapshot builds as a durable workflow (pg-boss queue `snapshot.build`, one live job per build):
 * pending → building (builder server created, find-by-label first) → imaging (the builder
 * reported ready: power off, snapshot with labels) → done (builder deleted). Any failure deletes
 * the builder and marks the build failed with the reason. Also the labelled-snapshot catalogue
 * the engine's path selection reads (cached per provider).
 */
export class SnapshotBuilder {
  private readonly cache = new Map<string, { at: number; images: Image[] }>();
  private readonly workerIds: string[] = [];
  private readonly waiters = new Map<string, () => void>();

  constructor(readonly deps: SnapshotBuilderDeps) {}

  private get db(): Db {
    return this.deps.db;
  }

  private cloud(name: string, field = 'provider'): CloudProvider & { name: SnapshotProvider } {
    if (!(SNAPSHOT_PROVIDERS as readonly string[]).includes(name)) {
      throw new ValidationError(`snapshots are built on ${SNAPSHOT_PROVIDERS.join(' or ')}, not "${name}"`, [{ field, message: `one of ${SNAPSHOT_PROVIDERS.join(', ')}` }]);
    }
    const p = this.deps.providers.get(name as ProviderName);
    if (!p) throw new ValidationError(`provider "${name}" is not configured`, [{ field, message: `not configured; configured: ${[...this.deps.providers.keys()].join(', ')}` }]);
    return p as CloudProvider & { name: SnapshotProvider };
  }

  // ── catalogue (path selection) ─────────────────────────────────────────────

  /** Every snapshot of a provider (ours and others'), cached for `cacheSeconds`. */
  async snapshotsOf(provider: string, refresh = false, cachedOnly = false): Promise<Image[]> {
    const p = this.deps.providers.get(provider as ProviderName);
    if (!p) return [];
    const hit = this.cache.get(provider);
    if (cachedOnly) return hit?.images ?? []; // dry runs make no cloud call
    if (!refresh && hit && Date.now() - hit.at < (this.deps.cacheSeconds ?? 60) * 1000) return hit.images;
    const images = await p.listImages({ kind: 'snapshot' });
    this.cache.set(provider, { at: Date.now(), images });
    return images;
  }

  invalidate(provider?: string): void {
    if (provider) this.cache.delete(provider);
    else this.cache.clear();
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
    return newestFirst(images)[0] ?? null;
  }

  /** A snapshot by id, or null (a cached miss is checked once more against the cloud). */
  async findSnapshot(provider: string, id: string, cachedOnly = false): Promise<Image | null> {
    const find = (list: Image[]) => list.find((i) => i.id === id) ?? null;
    if (cachedOnly) return find(await this.snapshotsOf(provider, false, true));
    return find(await this.snapshotsOf(provider)) ?? find(await this.snapshotsOf(provider, true));
  }

  /** Our labelled snapshots, across configured clouds (or one). */
  async list(provider?: string): Promise<SnapshotInfo[]> {
    const names = provider ? [this.cloud(provider).name] : SNAPSHOT_PROVIDERS.filter((n) => this.deps.providers.has(n));
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      const images = await this.snapshotsOf(name, true);
      for (const i of images) {
        if (i.labels[LABEL_INSTALLATION] !== this.deps.installationId || i.labels[LABEL_ROLE] !== 'snapshot') continue;
        const version = i.labels[LABEL_BOOTSTRAP_VERSION] ?? null;
        out.push({ id: i.id, name: i.name, provider: name, bootstrapVersion: version, createdAt: i.createdAt ?? null, sizeGb: i.sizeGb ?? null, locations: i.locations ?? null, current: version === this.deps.bootstrapVersion });
      }
    }
    return out.sort((a, b) => a.provider.localeCompare(b.provider) || compareNewest(a, b));
  }

  /** Delete one of our snapshots (404 when it is not ours or does not exist). */
  async remove(provider: string, id: string): Promise<void> {
    const p = this.cloud(provider);
    const ours = (await this.list(provider)).find((s) => s.id === id);
    if (!ours) throw new NotFoundError('snapshot', `${provider}/${id}`);
    if (!p.deleteSnapshot) throw new ValidationError(`${provider} cannot delete snapshots`, [{ field: 'provider', message: 'no snapshot support' }]);
    await p.deleteSnapshot(id);
    this.invalidate(provider);
  }

  /** Delete our snapshots except the newest per provider and bootstrap version. */
  async prune(provider?: string): Promise<{ deleted: SnapshotInfo[]; kept: SnapshotInfo[] }> {
    const all = await this.list(provider);
    const kept: SnapshotInfo[] = [];
    const deleted: SnapshotInfo[] = [];
    const seen = new Set<string>();
    for (const s of [...all].sort(compareNewest)) {
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

  // ── builds ─────────────────────────────────────────────────────────────────

  /** Record a build and enqueue it. */
  async start(input: { provider: string; location?: string | null }): Promise<SnapshotBuildRow> {
    const p = this.cloud(input.provider);
    if (!p.createSnapshot || !p.powerOff) throw new ValidationError(`${p.name} cannot build snapshots`, [{ field: 'provider', message: 'no snapshot support' }]);
    if (input.location !== undefined && input.location !== null && (typeof input.location !== 'string' || !/^[a-z0-9-]{1,40}$/.test(input.location))) {
      throw new ValidationError('location must be a provider location name', [{ field: 'location', message: 'e.g. nbg1 (hetzner) or fra1 (digital-ocean)' }]);
    }
    const token = `hgs_${randomBytes(24).toString('base64url')}`;
    const [row] = await this.db
      .insert(snapshotBuilds)
      .values({
        provider: p.name,
        location: input.location ?? null,
        bootstrapVersion: this.deps.bootstrapVersion,
        buildTokenHash: hashToken(token),
        buildTokenSealed: seal(token, this.deps.secretKey),
        events: [{ at: new Date().toISOString(), status: 'pending', message: `snapshot build requested on ${p.name}${input.location ? ` (${input.location})` : ''} for bootstrap version ${this.deps.bootstrapVersion}` }],
      })
      .returning();
    await this.enqueue(row.id);
    return row;
  }

  async get(id: string): Promise<SnapshotBuildRow> {
    const row = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? (await this.db.select().from(snapshotBuilds).where(eq(snapshotBuilds.id, id)))[0] : undefined;
    if (!row) throw new NotFoundError('snapshot build', id);
    return row;
  }

  async builds(limit = 50): Promise<SnapshotBuildRow[]> {
    return this.db.select().from(snapshotBuilds).orderBy(desc(snapshotBuilds.createdAt)).limit(limit);
  }

  /** The builder's report: authorized by the build token only (compared by hash). */
  /** Whether `authorization` carries the build token of build `id` (the API's `builder` access). */
  async authorizes(id: string, authorization: string | undefined): Promise<boolean> {
    const token = /^Bearer\s+(\S{1,200})$/i.exec(authorization ?? '')?.[1];
    if (!token || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
    const row = await this.get(id).catch(() => null);
    return Boolean(row && tokenMatches(token, row.buildTokenHash));
  }

  async ready(id: string, authorization: string | undefined, body: { ok?: unknown; bootstrapVersion?: unknown; message?: unknown }): Promise<SnapshotBuildRow> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthorizedError('missing build token');
    const row = await this.get(id).catch(() => null);
    if (!row || !tokenMatches(token, row.buildTokenHash)) throw new UnauthorizedError('invalid build token');
    if (typeof body?.ok !== 'boolean') throw new ValidationError('ok must be true or false', [{ field: 'ok', message: 'boolean required' }]);
    if (row.readyAt) return row; // the builder's curl retried: already recorded
    if (row.status === 'done' || row.status === 'failed') return row;
    const message = typeof body.message === 'string' ? body.message.slice(0, 2000) : null;
    const versionNote = typeof body.bootstrapVersion === 'string' && body.bootstrapVersion !== row.bootstrapVersion ? ` (builder reports bootstrap version ${body.bootstrapVersion}, expected ${row.bootstrapVersion})` : '';
    const ok = body.ok && !versionNote;
    const [next] = await this.db
      .update(snapshotBuilds)
      .set({
        readyAt: new Date(),
        readyOk: ok,
        readyMessage: ok ? message : `${message ?? 'install failed'}${versionNote}`,
        updatedAt: new Date(),
        events: appendEvent(row.status, ok ? 'builder reported ready: install finished and cleaned' : `builder reported failure: ${message ?? 'install failed'}${versionNote}`),
      })
      .where(eq(snapshotBuilds.id, id))
      .returning();
    this.waiters.get(id)?.();
    await this.enqueue(id);
    return next;
  }

  /** pg-boss handler: advance the build as far as it can go now. Every step looks before it acts. */
  async step(buildId: string, attempt: { retryCount: number; retryLimit: number }): Promise<void> {
    let row = await this.get(buildId).catch(() => null);
    if (!row || row.status === 'done' || row.status === 'failed') return;
    const provider = this.cloud(row.provider);
    try {
      if (row.status === 'pending') row = await this.createBuilder(row, provider);
      if (row.status === 'building') {
        row = await this.awaitReady(row);
        if (row.status === 'building') {
          // Not ready yet: hand the job back (it runs again at once, or when the builder reports).
          await this.enqueue(row.id, 2);
          return;
        }
      }
      if (row.status === 'imaging') row = await this.image(row, provider);
    } catch (err) {
      const retryable = err instanceof ProviderError ? err.retryable : !(err instanceof HangarError);
      const last = !retryable || attempt.retryCount >= attempt.retryLimit;
      const message = err instanceof Error ? err.message : String(err);
      if (last) {
        await this.failBuild(buildId, `${row.status} failed: ${message}`);
        return;
      }
      await this.event(buildId, `${row.status} failed (attempt ${attempt.retryCount + 1}, will retry): ${message}`);
      throw err;
    }
  }

  private async createBuilder(row: SnapshotBuildRow, provider: CloudProvider): Promise<SnapshotBuildRow> {
    const labels = this.builderLabels(row.id);
    let server = (await provider.findServers({ labels }))[0] ?? null;
    if (server) await this.event(row.id, `adopted builder server ${server.id} found by label`);
    else {
      const token = open(row.buildTokenSealed!, this.deps.secretKey);
      const userData = this.deps.renderBuilderUserData({ provider: row.provider as ProviderName, bootstrapVersion: row.bootstrapVersion, apiUrl: this.deps.publicUrl(), buildId: row.id, buildToken: token, agentBundleSha256: await this.deps.agentBundleSha256() });
      if (Buffer.byteLength(userData) > provider.userDataLimit) throw new ValidationError(`builder user-data is ${Buffer.byteLength(userData)} bytes; ${provider.name} accepts at most ${provider.userDataLimit}`, []);
      const name = `hangar-snapshot-${row.id.replace(/-/g, '').slice(0, 8)}`;
      try {
        server = await provider.createServer({ name, labels, location: row.location ?? undefined, userData });
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'uniqueness_error') server = (await provider.findServers({ labels }))[0] ?? null;
        if (!server) throw err;
      }
      await this.event(row.id, `builder server ${server.id} (${server.name}) created on ${provider.name}: full install running`);
    }
    const deadline = new Date(Date.now() + (this.deps.readyTimeoutSeconds ?? 1800) * 1000);
    return this.update(row.id, { status: 'building', serverId: server.id, deadlineAt: row.deadlineAt ?? deadline }, `waiting for the builder to report ready (timeout ${this.deps.readyTimeoutSeconds ?? 1800}s)`);
  }

  /** Wait (a slice) for the ready report; fail on a failed report or at the deadline. */
  private async awaitReady(row: SnapshotBuildRow): Promise<SnapshotBuildRow> {
    const sliceEnd = Date.now() + (this.deps.waitSliceSeconds ?? 20) * 1000;
    for (;;) {
      row = await this.get(row.id);
      if (row.status !== 'building') return row;
      if (row.readyAt) {
        if (!row.readyOk) return this.failBuild(row.id, `builder reported failure: ${row.readyMessage ?? 'install failed'}`);
        return this.update(row.id, { status: 'imaging' }, 'imaging: powering the builder off');
      }
      if (row.deadlineAt && Date.now() > row.deadlineAt.getTime()) {
        return this.failBuild(row.id, `builder did not report ready within ${this.deps.readyTimeoutSeconds ?? 1800}s`);
      }
      if (Date.now() > sliceEnd) {
        // Still building: make sure the builder still exists before waiting on.
        if (row.serverId && !(await this.cloud(row.provider).getServer(row.serverId))) return this.failBuild(row.id, `builder server ${row.serverId} vanished before it reported ready`);
        return row;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(100, (this.deps.pollSeconds ?? 1) * 1000));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.set(row.id, done);
      });
      this.waiters.delete(row.id);
    }
  }

  private async image(row: SnapshotBuildRow, provider: CloudProvider): Promise<SnapshotBuildRow> {
    if (!row.imageId) {
      const server = row.serverId ? await provider.getServer(row.serverId) : null;
      // A snapshot a crashed run already took (Hetzner finds it by label; DigitalOcean's createSnapshot adopts by name).
      const existing = (await provider.listImages({ kind: 'snapshot', labels: { [LABEL_INSTALLATION]: this.deps.installationId, [LABEL_SNAPSHOT_BUILD]: row.id } })).find((i) => i.labels[LABEL_INSTALLATION] === this.deps.installationId);
      let image = existing ?? null;
      if (!image) {
        if (!server) throw new ProviderError(provider.name, 'not_found', `builder server ${row.serverId} is gone before it was imaged`, 404, false);
        if (server.status !== 'off') {
          await provider.powerOff!(server.id);
          await this.event(row.id, `builder server ${server.id} powered off`);
        } else await this.event(row.id, `builder server ${server.id} is off`);
        const description = `hangar-${row.bootstrapVersion}-${row.id.replace(/-/g, '').slice(0, 8)}`;
        await this.event(row.id, `taking snapshot ${description}`);
        image = await provider.createSnapshot!(server.id, description, this.snapshotLabels(row));
      }
      row = await this.update(row.id, { imageId: image.id }, `snapshot ${image.id} (${image.name}) available, labelled bootstrap version ${row.bootstrapVersion}`);
      this.invalidate(row.provider);
    }
    if (row.serverId) {
      await provider.deleteServer(row.serverId); // a server already gone counts as deleted
      await this.event(row.id, `builder server ${row.serverId} deleted`);
    }
    return this.update(row.id, { status: 'done' }, `done: snapshot ${row.imageId} is used for new ${row.provider} instances`);
  }

  private builderLabels(buildId: string): Record<string, string> {
    return { [LABEL_INSTALLATION]: this.deps.installationId, [LABEL_ROLE]: 'snapshot-builder', [LABEL_SNAPSHOT_BUILD]: buildId };
  }

  private snapshotLabels(row: SnapshotBuildRow): Record<string, string> {
    return { [LABEL_INSTALLATION]: this.deps.installationId, [LABEL_ROLE]: 'snapshot', [LABEL_BOOTSTRAP_VERSION]: row.bootstrapVersion, [LABEL_CONTENTS]: SNAPSHOT_CONTENTS, [LABEL_SNAPSHOT_BUILD]: row.id };
  }

  /** Delete the builder server (if any), then mark the build failed with the reason. */
  private async failBuild(buildId: string, reason: string): Promise<SnapshotBuildRow> {
    const row = await this.get(buildId);
    if (row.status === 'failed' || row.status === 'done') return row;
    const provider = this.deps.providers.get(row.provider as ProviderName);
    const ids = new Set<string>(row.serverId ? [row.serverId] : []);
    let cleanup = '';
    try {
      if (provider) {
        for (const s of await provider.findServers({ labels: this.builderLabels(row.id) })) ids.add(s.id);
        for (const id of ids) await provider.deleteServer(id);
        if (ids.size) cleanup = `; builder server ${[...ids].join(', ')} deleted`;
      }
    } catch (err) {
      cleanup = `; deleting the builder server failed: ${(err as Error).message} (the reconciler does not touch builders: delete it by hand)`;
    }
    return this.update(buildId, { status: 'failed', error: reason }, `failed: ${reason}${cleanup}`);
  }

  private async update(id: string, set: Partial<typeof snapshotBuilds.$inferInsert>, message: string): Promise<SnapshotBuildRow> {
    const status = set.status ?? (await this.get(id)).status;
    const [row] = await this.db.update(snapshotBuilds).set({ ...set, updatedAt: new Date(), events: appendEvent(status, message) }).where(eq(snapshotBuilds.id, id)).returning();
    this.deps.log.info({ buildId: id, status }, message);
    return row;
  }

  private async event(id: string, message: string): Promise<void> {
    const row = await this.get(id);
    await this.db.update(snapshotBuilds).set({ updatedAt: new Date(), events: appendEvent(row.status, message) }).where(eq(snapshotBuilds.id, id));
  }

  // ── queue ──────────────────────────────────────────────────────────────────

  private async enqueue(buildId: string, startAfterSeconds?: number): Promise<void> {
    const q = QUEUES.snapshotBuild;
    await this.deps.boss.send(q.name, { buildId } satisfies SnapshotJob, {
      retryLimit: q.retryLimit,
      retryDelay: q.retryDelay,
      retryBackoff: true,
      singletonKey: buildId,
      ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
    });
    if (!startAfterSeconds) for (const w of this.workerIds) this.deps.boss.notifyWorker(w);
  }

  /** Register workers and give unfinished builds their job back (after a crash). */
  async work(workers = 2): Promise<void> {
    const opts = { includeMetadata: true as const, pollingIntervalSeconds: Math.max(0.5, this.deps.pollSeconds ?? 1), batchSize: 1 };
    for (let i = 0; i < workers; i++) {
      this.workerIds.push(
        await this.deps.boss.work<SnapshotJob>(QUEUES.snapshotBuild.name, opts, async (jobs: PgBoss.JobWithMetadata<SnapshotJob>[]) => {
          for (const job of jobs) await this.step(job.data.buildId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
        }),
      );
    }
    const open = await this.db.select({ id: snapshotBuilds.id }).from(snapshotBuilds).where(inArray(snapshotBuilds.status, ['pending', 'building', 'imaging']));
    for (const r of open) await this.enqueue(r.id);
    // Learn the clouds' snapshots now (bounded), so the first creates choose their path from the cache.
    const warm = Promise.allSettled(SNAPSHOT_PROVIDERS.filter((n) => this.deps.providers.has(n)).map((n) => this.snapshotsOf(n)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([warm, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }

  /** Builds still under way (for listings). */
  async active(): Promise<SnapshotBuildRow[]> {
    return this.db.select().from(snapshotBuilds).where(and(inArray(snapshotBuilds.status, ['pending', 'building', 'imaging'])));
  }
}

function appendEvent(status: string, message: string) {
  return sql`${snapshotBuilds.events} || ${JSON.stringify([{ at: new Date().toISOString(), status, message }])}::jsonb`;
}

function compareNewest(a: { createdAt?: string | null; id: string }, b: { createdAt?: string | null; id: string }): number {
  const ta = a.createdAt ? Date.parse(a.createdAt) : 0;
  const tb = b.createdAt ? Date.parse(b.createdAt) : 0;
  if (tb !== ta) return tb - ta;
  return Number(b.id) - Number(a.id) || b.id.localeCompare(a.id);
}

function newestFirst(images: Image[]): Image[] {
  return [...images].sort(compareNewest);
}

/** The API's view of a build (never the token). */
export function snapshotBuildJson(row: SnapshotBuildRow): Record<string, unknown> {
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
