import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BootstrapInput, WorkloadKind, WorkloadPlan } from '../bootstrap/types.ts';
import { HangarError, ProviderError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import { isActive, STEPS, stepIndex, type Lifecycle, type Step } from '../domain/lifecycle.ts';
import { instanceLabels, LABEL_INSTALLATION, LABEL_INSTANCE, serverName } from '../domain/names.ts';
import { hashToken, newToken, open, seal } from '../domain/tokens.ts';
import type { CloudProvider, ProviderName, ServerInfo } from '../providers/types.ts';
import type { ProviderRegistry, Tailnet } from './ports.ts';
import { enqueue, QUEUES, type JobData, type QueueName } from './queue.ts';
import type { InstanceRow, Store } from './store.ts';

export interface CreateInstanceInput {
  name: string;
  provider: ProviderName;
  location?: string;
  serverType?: string;
  image?: string;
  workload: WorkloadKind;
  workloadConfig: Record<string, unknown>;
  secrets: Record<string, string>;
  tailscale: boolean;
  tailscaleTags: string[];
  connectTimeoutSeconds?: number;
  onFailure?: 'destroy' | 'keep';
}

export interface EngineDeps {
  store: Store;
  boss: PgBoss;
  providers: ProviderRegistry;
  tailnet: Tailnet | null;
  installationId: string;
  secretKey: Buffer;
  /** URL agents dial (enrollment and hub). */
  publicUrl: string;
  heartbeatSeconds: number;
  connectTimeoutSeconds: number;
  pollSeconds: number;
  log: Logger;
  /** Renders cloud-init user-data (src/bootstrap). */
  renderUserData: (input: BootstrapInput) => string;
  /** Renders the workload plan the agent receives at enrollment. */
  renderWorkload: (instance: InstanceRow, secrets: Record<string, string>) => WorkloadPlan;
  bootstrapVersion: string;
}

export interface Enrollment {
  agentId: string;
  agentKey: string;
  instanceId: string;
  serverName: string;
  hubUrl: string;
  heartbeatSeconds: number;
  env: Record<string, string>;
  workload: WorkloadPlan;
  tailscale: { authKey: string; hostname: string; tags: string[] } | null;
}

/** Bootstrap tokens outlive the connect timeout by this much, then they are useless. */
const TOKEN_GRACE_SECONDS = 300;

/**
 * The durable workflows of an instance: intent → create_server → (agent) enroll → network →
 * configure → workload → running, and destroy → stopping → stopped. Each step is a pg-boss job
 * or an agent message; every step looks before it acts, so replays and crashes are harmless.
 */
export class Engine {
  constructor(readonly deps: EngineDeps) {}

  get store(): Store {
    return this.deps.store;
  }

  provider(name: string): CloudProvider {
    const p = this.deps.providers.get(name as ProviderName);
    if (!p) throw new ValidationError(`provider "${name}" is not configured`, [{ field: 'provider', message: `not configured; configured: ${[...this.deps.providers.keys()].join(', ')}` }]);
    return p;
  }

  /** Write the intent row (with name, labels and a sealed one-time token), then enqueue provisioning. */
  async createInstance(input: CreateInstanceInput, actor: string): Promise<InstanceRow> {
    this.provider(input.provider);
    if (input.tailscale && !this.deps.tailnet) {
      // Not an error: the network step is skipped with an event saying so.
    }
    const id = randomUUID();
    const token = newToken('hgb');
    const connectTimeoutSeconds = input.connectTimeoutSeconds ?? this.deps.connectTimeoutSeconds;
    const row = await this.store.insert(
      {
        id,
        name: input.name,
        serverName: serverName(id, input.name),
        provider: input.provider,
        location: input.location ?? null,
        serverType: input.serverType ?? null,
        image: input.image ?? null,
        workload: input.workload,
        workloadConfig: input.workloadConfig,
        secretsSealed: Object.keys(input.secrets).length ? seal(JSON.stringify(input.secrets), this.deps.secretKey) : null,
        labels: instanceLabels(this.deps.installationId, id),
        tailscale: input.tailscale,
        tailscaleTags: input.tailscaleTags,
        connectTimeoutSeconds,
        onFailure: input.onFailure ?? 'destroy',
        bootstrapTokenHash: hashToken(token),
        bootstrapTokenSealed: seal(token, this.deps.secretKey),
        bootstrapTokenExpiresAt: new Date(Date.now() + (connectTimeoutSeconds + TOKEN_GRACE_SECONDS) * 1000),
      },
      { actor, kind: 'transition', reason: 'instance requested' },
    );
    await this.enqueue('provision', id);
    return row;
  }

  /** Names of the secret settings an instance has (never their values). */
  secretNames(row: InstanceRow): string[] {
    if (!row.secretsSealed) return [];
    try {
      return Object.keys(JSON.parse(open(row.secretsSealed, this.deps.secretKey)) as object).sort();
    } catch {
      return [];
    }
  }

  /**
   * Dry run: what creating this instance would do, with the exact user-data (the one-time
   * token redacted). Writes nothing and calls no cloud.
   */
  async plan(input: CreateInstanceInput): Promise<Record<string, unknown>> {
    const provider = this.provider(input.provider);
    const id = '00000000-0000-4000-8000-000000000000';
    const token = newToken('hgb');
    const name = serverName(id, input.name);
    const userData = this.deps.renderUserData({
      provider: input.provider,
      path: 'full',
      bootstrap: { apiUrl: this.deps.publicUrl, token, instanceId: id, serverName: name },
      workload: input.workload,
      bootstrapVersion: this.deps.bootstrapVersion,
      tailscale: input.tailscale,
    });
    const bytes = Buffer.byteLength(userData);
    if (bytes > provider.userDataLimit) {
      throw new ValidationError(`rendered user-data is ${bytes} bytes; ${provider.name} accepts at most ${provider.userDataLimit}`, [{ field: 'config', message: 'user-data too large for this provider' }]);
    }
    return {
      dryRun: true,
      provider: input.provider,
      serverName: name.replace(/[0-9a-f]{8}$/, '<id>'),
      location: input.location ?? null,
      serverType: input.serverType ?? null,
      image: input.image ?? null,
      bootstrapPath: 'full',
      workload: input.workload,
      config: input.workloadConfig,
      secrets: Object.keys(input.secrets).sort(),
      steps: [...STEPS],
      tailscale: input.tailscale ? (this.deps.tailnet ? 'auth key minted at enrollment' : 'skipped: no tailnet configured') : 'off',
      providerCalls: { create: 1, delete: 1 },
      userDataBytes: bytes,
      userDataLimit: provider.userDataLimit,
      userData: userData.split(token).join('[REDACTED]'),
    };
  }

  /** The user-data this instance's server gets (the only secret in it is the one-time token). */
  userDataFor(row: InstanceRow, token: string): string {
    return this.deps.renderUserData({
      provider: row.provider as ProviderName,
      path: (row.bootstrapPath as 'full' | 'snapshot' | null) ?? 'full',
      bootstrap: { apiUrl: this.deps.publicUrl, token, instanceId: row.id, serverName: row.serverName },
      workload: row.workload as WorkloadKind,
      bootstrapVersion: this.deps.bootstrapVersion,
      tailscale: row.tailscale,
    });
  }

  // ── step: create_server ───────────────────────────────────────────────────────────────

  /** pg-boss handler for `instance.provision`. Idempotent: finds by label before it creates. */
  async provisionStep(instanceId: string, attempt: { retryCount: number; retryLimit: number }): Promise<void> {
    let row = await this.store.find(instanceId);
    if (!row) return;
    if (row.status === 'pending') {
      row = await this.store.transition(instanceId, { type: 'start' }, { actor: 'engine', reason: 'provisioning started' }, { bootstrapPath: row.bootstrapPath ?? 'full' });
    }
    // Destroyed or failed meanwhile, or already recorded: nothing to do.
    if (row.status !== 'provisioning' && row.status !== 'running') return;
    if (row.serverId && !(row.status === 'provisioning' && row.step === 'create_server')) return;
    const provider = this.provider(row.provider);
    try {
      let server = row.serverId ? await provider.getServer(row.serverId) : null;
      if (!server) server = (await provider.findServers({ labels: ownership(row) }))[0] ?? null;
      if (server) {
        if (!row.serverId) await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: `adopted server ${server.id} found by label`, data: { serverId: server.id } });
      } else if (row.status === 'provisioning' && row.step === 'create_server') {
        server = await this.createServer(row, provider);
      } else {
        // The agent got further than this job, yet no server carries our labels: it vanished.
        throw new ProviderError(provider.name, 'not_found', `no server labelled for instance ${row.id}`, 404, false);
      }
      await this.recordServer(row.id, server);
    } catch (err) {
      await this.onStepError(row, 'create_server', err, attempt);
      throw err;
    }
  }

  private async createServer(row: InstanceRow, provider: CloudProvider): Promise<ServerInfo> {
    let token = row.bootstrapTokenSealed ? open(row.bootstrapTokenSealed, this.deps.secretKey) : null;
    if (!token || (row.bootstrapTokenExpiresAt && row.bootstrapTokenExpiresAt.getTime() < Date.now() + row.connectTimeoutSeconds * 1000)) {
      // No server carries the old token (we looked by label): a fresh one is safe.
      token = newToken('hgb');
      row = await this.store.update(row.id, {
        bootstrapTokenHash: hashToken(token),
        bootstrapTokenSealed: seal(token, this.deps.secretKey),
        bootstrapTokenExpiresAt: new Date(Date.now() + (row.connectTimeoutSeconds + TOKEN_GRACE_SECONDS) * 1000),
      });
    }
    const userData = this.userDataFor(row, token);
    const spec = { name: row.serverName, labels: ownership(row), location: row.location ?? undefined, serverType: row.serverType ?? undefined, image: row.image ?? undefined, userData };
    try {
      const server = await provider.createServer(spec);
      await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: `server ${server.id} created on ${provider.name}`, data: { serverId: server.id, name: server.name } });
      return server;
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'uniqueness_error') {
        const [named] = await provider.findServers({ name: row.serverName });
        if (named && named.labels[LABEL_INSTANCE] === row.id && named.labels[LABEL_INSTALLATION] === this.deps.installationId) {
          await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: `adopted server ${named.id}: name taken by our own server`, data: { serverId: named.id, code: err.code } });
          return named;
        }
        throw new ProviderError(provider.name, 'uniqueness_error', `server name ${row.serverName} is taken by a server Hangar does not own`, err.httpStatus, false);
      }
      throw err;
    }
  }

  private async recordServer(instanceId: string, server: ServerInfo): Promise<void> {
    const row = await this.store.get(instanceId);
    const set = { serverId: server.id, ipv4: server.ipv4 ?? row.ipv4, ipv6: server.ipv6 ?? row.ipv6 };
    if (row.status === 'provisioning' && row.step === 'create_server') {
      await this.store.transition(instanceId, { type: 'step', step: 'boot' }, { actor: 'engine', reason: `server ${server.id} booting`, data: { serverId: server.id } }, set);
    } else {
      await this.store.update(instanceId, set);
    }
    if (row.status === 'stopping' || row.status === 'stopped') {
      // A destroy raced with this create: make sure teardown sees the new server.
      await this.enqueue('teardown', instanceId);
    }
    await this.enqueue('connectTimeout', instanceId, { startAfter: row.connectTimeoutSeconds });
  }

  /** Record a failed attempt as an event with the vendor's code; on the last attempt, fail the instance. */
  private async onStepError(row: InstanceRow, step: string, err: unknown, attempt: { retryCount: number; retryLimit: number }): Promise<void> {
    const code = err instanceof ProviderError ? err.code : err instanceof HangarError ? err.type : 'error';
    const message = err instanceof Error ? err.message : String(err);
    const retryable = err instanceof ProviderError ? err.retryable : !(err instanceof HangarError);
    const last = !retryable || attempt.retryCount >= attempt.retryLimit;
    await this.store.event(row.id, {
      actor: 'engine',
      kind: last ? 'error' : 'warning',
      reason: `${step} failed (attempt ${attempt.retryCount + 1}${last ? ', giving up' : ', will retry'}): ${message}`,
      data: { code, step, attempt: attempt.retryCount + 1 },
    });
    if (last) await this.fail(row.id, `${step} failed: ${message}`, 'engine');
  }

  // ── failure, destroy, teardown ────────────────────────────────────────────────────────

  /** Move an instance to failed (if it can be) and apply its onFailure policy. */
  async fail(instanceId: string, reason: string, actor: string): Promise<void> {
    const row = await this.store.get(instanceId);
    if (row.status === 'failed' || row.status === 'stopped' || row.status === 'stopping') return;
    await this.store.transition(instanceId, { type: 'fail', reason }, { actor, reason });
    if (row.onFailure === 'destroy') await this.destroy(instanceId, actor, `onFailure=destroy after: ${reason}`);
  }

  /** Request teardown: stopping now, the server is deleted by a durable job. */
  async destroy(instanceId: string, actor: string, reason = 'destroy requested'): Promise<InstanceRow> {
    const row = await this.store.get(instanceId);
    if (row.status === 'stopping' || row.status === 'stopped') {
      if (row.status === 'stopping') await this.enqueue('teardown', instanceId);
      return row;
    }
    const next = await this.store.transition(instanceId, { type: 'destroy' }, { actor, reason });
    await this.enqueue('teardown', instanceId);
    return next;
  }

  /** Hook set by the hub: ask a connected agent to stop its workload and exit. */
  shutdownAgent: (instanceId: string) => Promise<boolean> = async () => false;

  /** pg-boss handler for `instance.teardown`: delete until the provider says gone (404 = done). */
  async teardownStep(instanceId: string, attempt: { retryCount: number; retryLimit: number }): Promise<void> {
    const row = await this.store.find(instanceId);
    if (!row || row.status !== 'stopping') return;
    try {
      if (row.connection === 'connected') {
        const acked = await this.shutdownAgent(instanceId).catch(() => false);
        if (acked) await this.store.event(instanceId, { actor: 'engine', kind: 'info', reason: 'agent stopped its workload' });
      }
      const provider = this.provider(row.provider);
      const ids = new Set<string>();
      if (row.serverId) ids.add(row.serverId);
      for (const s of await provider.findServers({ labels: ownership(row) })) ids.add(s.id);
      for (const id of ids) {
        await provider.deleteServer(id);
        await this.store.event(instanceId, { actor: 'engine', kind: 'info', reason: `server ${id} deleted`, data: { serverId: id } });
      }
      if (this.deps.tailnet && row.tailscale) {
        const device = row.tailscaleDeviceId ? { id: row.tailscaleDeviceId } : await this.deps.tailnet.findDeviceByHostname(row.serverName);
        if (device) {
          await this.deps.tailnet.deleteDevice(device.id);
          await this.store.event(instanceId, { actor: 'engine', kind: 'info', reason: `tailscale device ${device.id} deleted` });
        }
      }
      const cur = await this.store.get(instanceId);
      const disconnect = cur.connection === 'connected' ? this.store.connection(instanceId, { type: 'disconnect' }, { actor: 'engine', reason: 'server deleted' }) : null;
      await disconnect;
      await this.store.transition(instanceId, { type: 'deleted' }, { actor: 'engine', reason: ids.size ? 'server deleted' : 'no server existed' }, { agentKeyHash: null, bootstrapTokenSealed: null, workloadHealthy: null });
    } catch (err) {
      const last = attempt.retryCount >= attempt.retryLimit;
      const code = err instanceof ProviderError ? err.code : 'error';
      await this.store.event(instanceId, { actor: 'engine', kind: last ? 'error' : 'warning', reason: `teardown attempt ${attempt.retryCount + 1} failed: ${(err as Error).message}`, data: { code } });
      throw err;
    }
  }

  /** pg-boss handler for `instance.connect-timeout`. */
  async connectTimeoutStep(instanceId: string): Promise<void> {
    const row = await this.store.find(instanceId);
    if (!row || row.status !== 'provisioning') return;
    const deadline = (row.createdAt.getTime() + row.connectTimeoutSeconds * 1000);
    if (Date.now() < deadline - 1000) {
      await this.enqueue('connectTimeout', instanceId, { startAfter: new Date(deadline) });
      return;
    }
    const reason = row.connection === 'connecting'
      ? `agent did not dial home within ${row.connectTimeoutSeconds}s (stuck at ${row.step})`
      : `instance did not become ready within ${row.connectTimeoutSeconds}s (stuck at ${row.step})`;
    if (row.connection === 'connecting') await this.store.connection(instanceId, { type: 'timeout' }, { actor: 'timeout', reason });
    await this.fail(instanceId, reason, 'timeout');
  }

  // ── agent side: enrollment and progress ───────────────────────────────────────────────

  /**
   * Exchange a one-time bootstrap token for the agent's identity and key (stored hashed), its
   * workload plan and a single-use Tailscale auth key. The token is spent even if the response
   * is lost: an agent that cannot enroll is caught by the connect timeout.
   */
  async enroll(token: string, meta: { version?: string; hostname?: string }): Promise<Enrollment> {
    const hash = hashToken(token);
    const row = await this.store.findBy('bootstrapTokenHash', hash);
    if (!row) throw new UnauthorizedError('unknown bootstrap token');
    if (row.bootstrapTokenUsedAt) throw new UnauthorizedError('bootstrap token already used');
    if (row.bootstrapTokenExpiresAt && row.bootstrapTokenExpiresAt.getTime() < Date.now()) throw new UnauthorizedError('bootstrap token expired');
    if (!isActive(row.status as Lifecycle) || row.status === 'running') throw new UnauthorizedError(`instance is ${row.status}`);
    const agentId = randomUUID();
    const agentKey = newToken('hga');
    const spent = await this.store.spendBootstrapToken(hash, { agentId, agentKeyHash: hashToken(agentKey), agentVersion: meta.version ?? null });
    if (!spent) throw new UnauthorizedError('bootstrap token already used');
    await this.store.event(row.id, { actor: 'agent', kind: 'info', reason: `agent ${agentId} enrolled`, data: { agentId, version: meta.version, hostname: meta.hostname } });
    await this.advance(row.id, 'enroll', 'agent enrolled');
    const secrets = row.secretsSealed ? (JSON.parse(open(row.secretsSealed, this.deps.secretKey)) as Record<string, string>) : {};
    const tailscale = await this.networkStep(row);
    await this.advance(row.id, 'network', tailscale ? 'tailscale auth key issued' : 'network step done');
    const fresh = await this.store.get(row.id);
    return {
      agentId,
      agentKey,
      instanceId: row.id,
      serverName: row.serverName,
      hubUrl: `${this.deps.publicUrl.replace(/^http/, 'ws')}/v1/agents/connect`,
      heartbeatSeconds: this.deps.heartbeatSeconds,
      env: { AGENT_ID: agentId, SERVER_NAME: row.serverName, SERVER_ID: fresh.serverId ?? '', API_URL: this.deps.publicUrl, NODE_ENV: 'production' },
      workload: this.deps.renderWorkload(fresh, secrets),
      tailscale,
    };
  }

  private async networkStep(row: InstanceRow): Promise<Enrollment['tailscale']> {
    if (!row.tailscale) {
      await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: 'network step skipped: tailscale not requested for this instance' });
      return null;
    }
    if (!this.deps.tailnet) {
      await this.store.event(row.id, { actor: 'engine', kind: 'warning', reason: 'network step skipped: no tailnet configured (set TAILSCALE_API_KEY or TAILSCALE_OAUTH_CLIENT_ID/_SECRET)' });
      return null;
    }
    const tags = ['tag:hangar', ...row.tailscaleTags.filter((t) => t !== 'tag:hangar')];
    const key = await this.deps.tailnet.createAuthKey({ tags, expirySeconds: 600, description: `hangar ${row.serverName}` });
    await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: `tailscale auth key ${key.id} minted (single-use, ephemeral, ${tags.join(' ')})`, data: { keyId: key.id } });
    return { authKey: key.key, hostname: row.serverName, tags };
  }

  /** Move a provisioning instance forward to `step` if it is not already there or past it. */
  async advance(instanceId: string, step: Step, reason: string, actor = 'agent'): Promise<void> {
    const row = await this.store.get(instanceId);
    if (row.status !== 'provisioning' || !row.step) return;
    if (stepIndex(row.step as Step) >= stepIndex(step)) return;
    await this.store.transition(instanceId, { type: 'step', step }, { actor, reason });
  }

  /** The agent reports its workload healthy: provisioning → running (first time only). */
  async workloadHealthy(instanceId: string, healthy: boolean, detail?: string): Promise<void> {
    const row = await this.store.get(instanceId);
    if (row.workloadHealthy !== healthy) {
      await this.store.update(instanceId, { workloadHealthy: healthy });
      await this.store.event(instanceId, { actor: 'agent', kind: healthy ? 'info' : 'warning', reason: `workload ${healthy ? 'healthy' : 'unhealthy'}${detail ? `: ${detail}` : ''}` });
    }
    if (healthy && row.status === 'provisioning') {
      if (row.step !== 'workload') await this.advance(instanceId, 'workload', 'workload started');
      await this.store.transition(instanceId, { type: 'ready' }, { actor: 'agent', reason: 'agent connected and workload healthy' });
    }
  }

  /** Register the pg-boss workers for this process. */
  async work(): Promise<void> {
    const opts = { includeMetadata: true as const, pollingIntervalSeconds: Math.max(0.5, this.deps.pollSeconds), batchSize: 1 };
    const run = (fn: (id: string, a: { retryCount: number; retryLimit: number }) => Promise<void>) =>
      async (jobs: PgBoss.JobWithMetadata<JobData>[]) => {
        for (const job of jobs) await fn(job.data.instanceId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
      };
    // A few workers per queue so one slow cloud call does not hold up every instance.
    const boss = this.deps.boss;
    for (let i = 0; i < 4; i++) {
      this.workers.provision.push(await boss.work<JobData>(QUEUES.provision.name, opts, run((id, a) => this.provisionStep(id, a))));
      this.workers.teardown.push(await boss.work<JobData>(QUEUES.teardown.name, opts, run((id, a) => this.teardownStep(id, a))));
    }
    this.workers.connectTimeout.push(await boss.work<JobData>(QUEUES.connectTimeout.name, opts, run((id) => this.connectTimeoutStep(id))));
  }

  private readonly workers: Record<QueueName, string[]> = { provision: [], teardown: [], connectTimeout: [] };

  /** Enqueue a step and wake this process's idle workers for it (others poll). */
  private async enqueue(queue: QueueName, instanceId: string, opts: { startAfter?: number | Date } = {}): Promise<void> {
    await enqueue(this.deps.boss, queue, instanceId, opts);
    if (opts.startAfter === undefined) for (const w of this.workers[queue]) this.deps.boss.notifyWorker(w);
  }
}

function ownership(row: InstanceRow): Record<string, string> {
  return { [LABEL_INSTALLATION]: row.labels[LABEL_INSTALLATION], [LABEL_INSTANCE]: row.labels[LABEL_INSTANCE] };
}

export { STEPS };
