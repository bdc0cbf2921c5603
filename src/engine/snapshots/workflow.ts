import { randomBytes } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { SnapshotBuilderInput } from '../../bootstrap/types.ts';
import { HangarError, ProviderError, ValidationError } from '../../domain/errors.ts';
import { LABEL_BOOTSTRAP_VERSION, LABEL_INSTALLATION, LABEL_ROLE } from '../../domain/names.ts';
import { isBuildFinished, type SnapshotBuildEvent, type SnapshotBuildStatus } from '../../domain/snapshot-build.ts';
import { hashToken, open, seal } from '../../domain/tokens.ts';
import type { CloudProvider, ProviderName } from '../../providers/types.ts';
import type { Attempt } from '../jobs.ts';
import type { ProviderRegistry } from '../ports.ts';
import { QUEUES } from '../queue.ts';
import { checkUserDataSize } from '../systems/user-data.ts';
import type { BuildNote, BuildStore, SnapshotBuildRow } from './build-store.ts';
import { LABEL_CONTENTS, LABEL_SNAPSHOT_BUILD, SNAPSHOT_CONTENTS, snapshotCloud } from './clouds.ts';

export interface BuildWorkflowDeps {
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
  /** A snapshot was made: forget the provider's cached listing. */
  onImaged: (provider: string) => void;
}

/**
 * A snapshot build as a durable workflow (pg-boss queue `snapshot.build`, one live job per build):
 * pending → building (builder server created, find-by-label first) → imaging (the builder
 * reported ready: power off, snapshot with labels) → done (builder deleted). Any failure deletes
 * the builder and marks the build failed with the reason. Every step looks before it acts.
 *
 * @example
 * const wf = new BuildWorkflow(store, deps);
 * const row = await wf.start({ provider: 'hetzner' });
 */
export class BuildWorkflow {
  private readonly workerIds: string[] = [];
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly store: BuildStore,
    private readonly deps: BuildWorkflowDeps,
  ) {}

  private get readyTimeoutSeconds(): number {
    return this.deps.readyTimeoutSeconds ?? 1800;
  }

  /** Record a build and enqueue it. */
  async start(input: { provider: string; location?: string | null }): Promise<SnapshotBuildRow> {
    const p = snapshotCloud(this.deps.providers, input.provider);
    if (!p.createSnapshot || !p.powerOff) throw new ValidationError(`${p.name} cannot build snapshots`, [{ field: 'provider', message: 'no snapshot support' }]);
    if (input.location !== undefined && input.location !== null && (typeof input.location !== 'string' || !/^[a-z0-9-]{1,40}$/.test(input.location))) {
      throw new ValidationError('location must be a provider location name', [{ field: 'location', message: 'e.g. nbg1 (hetzner) or fra1 (digital-ocean)' }]);
    }
    const token = `hgs_${randomBytes(24).toString('base64url')}`;
    const version = this.deps.bootstrapVersion;
    const row = await this.store.insert(
      { provider: p.name, location: input.location ?? null, bootstrapVersion: version, buildTokenHash: hashToken(token), buildTokenSealed: seal(token, this.deps.secretKey) },
      { message: `snapshot build requested on ${p.name}${input.location ? ` (${input.location})` : ''} for bootstrap version ${version}` },
    );
    await this.enqueue(row.id);
    return row;
  }

  /** The builder reported: wake the step waiting for it, and make sure a job runs. */
  async reported(buildId: string): Promise<void> {
    this.waiters.get(buildId)?.();
    await this.enqueue(buildId);
  }

  /** pg-boss handler: advance the build as far as it can go now. */
  async step(buildId: string, attempt: Attempt): Promise<void> {
    let row = await this.store.find(buildId);
    if (!row || isBuildFinished(row.status as SnapshotBuildStatus)) return;
    const provider = snapshotCloud(this.deps.providers, row.provider);
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
      await this.note(buildId, { kind: 'warning', message: `${row.status} failed (attempt ${attempt.retryCount + 1}, will retry): ${message}` });
      throw err;
    }
  }

  private async createBuilder(row: SnapshotBuildRow, provider: CloudProvider): Promise<SnapshotBuildRow> {
    const labels = this.builderLabels(row.id);
    let server = (await provider.findServers({ labels }))[0] ?? null;
    let how: string;
    if (server) how = `adopted builder server ${server.id} found by label`;
    else {
      const token = open(row.buildTokenSealed!, this.deps.secretKey);
      const userData = this.deps.renderBuilderUserData({ provider: row.provider as ProviderName, bootstrapVersion: row.bootstrapVersion, apiUrl: this.deps.publicUrl(), buildId: row.id, buildToken: token, agentBundleSha256: await this.deps.agentBundleSha256() });
      checkUserDataSize(provider, userData);
      const name = `hangar-snapshot-${row.id.replace(/-/g, '').slice(0, 8)}`;
      try {
        server = await provider.createServer({ name, labels, location: row.location ?? undefined, userData });
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'uniqueness_error') server = (await provider.findServers({ labels }))[0] ?? null;
        if (!server) throw err;
      }
      how = `builder server ${server.id} (${server.name}) created on ${provider.name}: full install running`;
    }
    await this.note(row.id, { message: how });
    const deadline = new Date(Date.now() + this.readyTimeoutSeconds * 1000);
    return this.transition(row.id, { type: 'builder_created' }, `waiting for the builder to report ready (timeout ${this.readyTimeoutSeconds}s)`, { serverId: server.id, deadlineAt: row.deadlineAt ?? deadline });
  }

  /** Wait (a slice) for the ready report; fail on a failed report or at the deadline. */
  private async awaitReady(row: SnapshotBuildRow): Promise<SnapshotBuildRow> {
    const sliceEnd = Date.now() + (this.deps.waitSliceSeconds ?? 20) * 1000;
    for (;;) {
      row = await this.store.get(row.id);
      if (row.status !== 'building') return row;
      if (row.readyAt) {
        if (!row.readyOk) return this.failBuild(row.id, `builder reported failure: ${row.readyMessage ?? 'install failed'}`);
        return this.transition(row.id, { type: 'builder_ready' }, 'imaging: powering the builder off');
      }
      if (row.deadlineAt && Date.now() > row.deadlineAt.getTime()) return this.failBuild(row.id, `builder did not report ready within ${this.readyTimeoutSeconds}s`);
      if (Date.now() > sliceEnd) {
        // Still building: make sure the builder still exists before waiting on.
        if (row.serverId && !(await snapshotCloud(this.deps.providers, row.provider).getServer(row.serverId))) return this.failBuild(row.id, `builder server ${row.serverId} vanished before it reported ready`);
        return row;
      }
      const id = row.id;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(100, (this.deps.pollSeconds ?? 1) * 1000));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.set(id, done);
      });
      this.waiters.delete(id);
    }
  }

  private async image(row: SnapshotBuildRow, provider: CloudProvider): Promise<SnapshotBuildRow> {
    const install = this.deps.installationId;
    if (!row.imageId) {
      const server = row.serverId ? await provider.getServer(row.serverId) : null;
      // A snapshot a crashed run already took (Hetzner finds it by label; DigitalOcean's createSnapshot adopts by name).
      const existing = (await provider.listImages({ kind: 'snapshot', labels: { [LABEL_INSTALLATION]: install, [LABEL_SNAPSHOT_BUILD]: row.id } })).find((i) => i.labels[LABEL_INSTALLATION] === install);
      let image = existing ?? null;
      if (!image) {
        if (!server) throw new ProviderError(provider.name, 'not_found', `builder server ${row.serverId} is gone before it was imaged`, 404, false);
        if (server.status !== 'off') {
          await provider.powerOff!(server.id);
          await this.note(row.id, { message: `builder server ${server.id} powered off` });
        } else await this.note(row.id, { message: `builder server ${server.id} is off` });
        const description = `hangar-${row.bootstrapVersion}-${row.id.replace(/-/g, '').slice(0, 8)}`;
        await this.note(row.id, { message: `taking snapshot ${description}` });
        image = await provider.createSnapshot!(server.id, description, this.snapshotLabels(row));
      }
      row = await this.note(row.id, { message: `snapshot ${image.id} (${image.name}) available, labelled bootstrap version ${row.bootstrapVersion}` }, { imageId: image.id });
      this.deps.onImaged(row.provider);
    }
    if (row.serverId) {
      await provider.deleteServer(row.serverId); // a server already gone counts as deleted
      await this.note(row.id, { message: `builder server ${row.serverId} deleted` });
    }
    return this.transition(row.id, { type: 'imaged' }, `done: snapshot ${row.imageId} is used for new ${row.provider} instances`);
  }

  private builderLabels(buildId: string): Record<string, string> {
    return { [LABEL_INSTALLATION]: this.deps.installationId, [LABEL_ROLE]: 'snapshot-builder', [LABEL_SNAPSHOT_BUILD]: buildId };
  }

  private snapshotLabels(row: SnapshotBuildRow): Record<string, string> {
    return { [LABEL_INSTALLATION]: this.deps.installationId, [LABEL_ROLE]: 'snapshot', [LABEL_BOOTSTRAP_VERSION]: row.bootstrapVersion, [LABEL_CONTENTS]: SNAPSHOT_CONTENTS, [LABEL_SNAPSHOT_BUILD]: row.id };
  }

  /** Delete the builder server (if any), then mark the build failed with the reason. */
  private async failBuild(buildId: string, reason: string): Promise<SnapshotBuildRow> {
    const row = await this.store.get(buildId);
    if (isBuildFinished(row.status as SnapshotBuildStatus)) return row;
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
    return this.transition(buildId, { type: 'fail', reason }, `failed: ${reason}${cleanup}`);
  }

  private async transition(id: string, event: SnapshotBuildEvent, message: string, set: Parameters<BuildStore['transition']>[3] = {}): Promise<SnapshotBuildRow> {
    const row = await this.store.transition(id, event, { message }, set);
    this.deps.log.info({ buildId: id, status: row.status }, message);
    return row;
  }

  private async note(id: string, note: BuildNote, set: Parameters<BuildStore['note']>[2] = {}): Promise<SnapshotBuildRow> {
    const row = await this.store.note(id, note, set);
    this.deps.log.info({ buildId: id, status: row.status }, note.message);
    return row;
  }

  private async enqueue(buildId: string, startAfterSeconds?: number): Promise<void> {
    const q = QUEUES.snapshotBuild;
    await this.deps.boss.send(q.name, { buildId }, {
      retryLimit: q.retryLimit,
      retryDelay: q.retryDelay,
      retryBackoff: true,
      singletonKey: buildId,
      ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
    });
    if (!startAfterSeconds) for (const w of this.workerIds) this.deps.boss.notifyWorker(w);
  }

  /** Register workers and give unfinished builds their job back (after a crash). */
  async work(workers: number): Promise<void> {
    const opts = { includeMetadata: true as const, pollingIntervalSeconds: Math.max(0.5, this.deps.pollSeconds ?? 1), batchSize: 1 };
    for (let i = 0; i < workers; i++) {
      this.workerIds.push(
        await this.deps.boss.work<{ buildId: string }>(QUEUES.snapshotBuild.name, opts, async (jobs: PgBoss.JobWithMetadata<{ buildId: string }>[]) => {
          for (const job of jobs) await this.step(job.data.buildId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
        }),
      );
    }
    for (const id of await this.store.unfinished()) await this.enqueue(id);
  }
}
