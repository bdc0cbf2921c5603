import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BootstrapInput, Enrollment, WorkloadKind, WorkloadPlan } from '../bootstrap/types.ts';
import { HangarError, ProviderError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import { ENROLL_PROOF_MISMATCH } from '../domain/enroll-proof.ts';
import { isActive, STEPS, type Lifecycle, type Step } from '../domain/lifecycle.ts';
import { instanceLabels, LABEL_INSTALLATION, LABEL_INSTANCE, serverName } from '../domain/names.ts';
import { hashToken, newToken, open, seal, tokenMatches } from '../domain/tokens.ts';
import type { CloudProvider, Image, ProviderName, ServerInfo } from '../providers/types.ts';
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
  /** Trusted agent release keys (HANGAR_RELEASE_KEYS), pinned by agents at enrollment. */
  releaseKeys?: readonly string[];
  /** How often agents ask for an approved release (HANGAR_AGENT_UPDATE_SECONDS, default 900). */
  updateCheckSeconds?: number;
  /** How long a new agent release has to prove itself healthy (HANGAR_AGENT_UPDATE_TRIAL_SECONDS, default 120). */
  updateTrialSeconds?: number;
  connectTimeoutSeconds: number;
  pollSeconds: number;
  /** Workers per provision/teardown queue in this process. */
  workers?: number;
  /** Seconds an instance may stay in each provisioning state before it fails (on top of the connect timeout). */
  stateTimeouts?: Partial<Record<ProvisioningState, number>>;
  /** This process, as events name it (which replica ran a step). */
  replicaId?: string;
  log: Logger;
  /** Renders cloud-init user-data (src/bootstrap). */
  renderUserData: (input: BootstrapInput) => string;
  /** sha256 of the agent bundle served at /v1/agent/bundle, pinned in user-data (src/agent-bundle.ts `agentBundleSha256`). */
  agentBundleSha256: () => Promise<string>;
  /** Renders the workload plan the agent receives at enrollment. */
  renderWorkload: (instance: InstanceRow, secrets: Record<string, string>) => WorkloadPlan;
  bootstrapVersion: string;
  /** Throws ValidationError naming `config.<field>` for bad workload settings (src/bootstrap). */
  validateWorkload?: (kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, provider?: string) => void;
  /** Generate once, at creation, the secrets a workload needs and the user did not give. */
  completeSecrets?: (kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>) => Record<string, string>;
  /** Snapshots this installation built (src/engine/snapshots.ts), for choosing the bootstrap path. */
  snapshots?: {
    currentSnapshot(provider: string, location?: string | null, cachedOnly?: boolean): Promise<Image | null>;
    findSnapshot(provider: string, id: string, cachedOnly?: boolean): Promise<Image | null>;
  };
  /** Snapshot ids from the environment (HETZNER_SNAPSHOT_ID, DIGITALOCEAN_SNAPSHOT_ID). */
  snapshotIds?: Partial<Record<ProviderName, string>>;
  /** Providers switched off on purpose, with how to switch them on (the 400 for them says it). */
  disabledProviders?: Partial<Record<string, string>>;
}

/** Which bootstrap path a new instance takes, with which image, and why. */
export interface PathChoice {
  path: 'full' | 'snapshot';
  /** The image to boot (a snapshot id on the snapshot path; the request's or provider's base image otherwise). */
  image: string | null;
  reason: string;
  /** Set when a requested snapshot was not found and the full install runs instead. */
  fallback: string | null;
}

export type { Enrollment };

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
    const off = p ? undefined : this.deps.disabledProviders?.[name];
    if (off) throw new ValidationError(`provider "${name}" is not available: ${off}`, [{ field: 'provider', message: off }]);
    if (!p) throw new ValidationError(`provider "${name}" is not configured`, [{ field: 'provider', message: `not configured; configured: ${[...this.deps.providers.keys()].join(', ')}` }]);
    return p;
  }

  /** Write the intent row (with name, labels and a sealed one-time token), then enqueue provisioning. */
  async createInstance(input: CreateInstanceInput, actor: string): Promise<InstanceRow> {
    this.provider(input.provider);
    this.deps.validateWorkload?.(input.workload, input.workloadConfig, input.secrets, input.provider);
    input = { ...input, secrets: this.deps.completeSecrets?.(input.workload, input.workloadConfig, input.secrets) ?? input.secrets };
    const choice = await this.choosePath(input);
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
        image: choice.image,
        bootstrapPath: choice.path,
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
    if (choice.fallback) {
      await this.store.event(id, { actor: 'engine', kind: 'warning', reason: choice.fallback, data: { bootstrapPath: 'full', fallback: true, requestedImage: input.image ?? this.deps.snapshotIds?.[input.provider] ?? null } });
    } else if (choice.path === 'snapshot') {
      await this.store.event(id, { actor: 'engine', kind: 'info', reason: `bootstrap path ${choice.path}: ${choice.reason}`, data: { bootstrapPath: choice.path, image: choice.image } });
    }
    await this.enqueue('provision', id);
    // The timeout watcher wakes at the first deadline (the creating state's, or the connect timeout).
    await this.enqueue('connectTimeout', id, { startAfter: new Date(Date.now() + Math.min(connectTimeoutSeconds, this.deps.stateTimeouts?.creating ?? connectTimeoutSeconds) * 1000) });
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
    this.deps.validateWorkload?.(input.workload, input.workloadConfig, input.secrets, input.provider);
    const choice = await this.choosePath(input, { dryRun: true });
    const id = '00000000-0000-4000-8000-000000000000';
    const token = newToken('hgb');
    const name = serverName(id, input.name);
    const userData = this.deps.renderUserData({
      provider: input.provider,
      path: choice.path,
      bootstrap: { apiUrl: this.deps.publicUrl, token, instanceId: id, serverName: name },
      workload: input.workload,
      bootstrapVersion: this.deps.bootstrapVersion,
      tailscale: input.tailscale,
      agentBundleSha256: await this.deps.agentBundleSha256(),
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
      image: choice.image,
      bootstrapPath: choice.path,
      bootstrapPathReason: choice.reason,
      fallback: choice.fallback,
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

  /**
   * Snapshot or full path. Clouds only: a snapshot id in the request (a number), else the
   * environment's `HETZNER_SNAPSHOT_ID` / `DIGITALOCEAN_SNAPSHOT_ID`, else the newest snapshot
   * this installation built for the current bootstrap version. A requested snapshot that does
   * not exist → full path on the provider's base image, with a fallback reason (never silent).
   */
  async choosePath(input: Pick<CreateInstanceInput, 'provider' | 'image' | 'location'>, opts: { dryRun?: boolean } = {}): Promise<PathChoice> {
    const cachedOnly = Boolean(opts.dryRun); // a dry run answers from the cached snapshot list
    const cloud = input.provider === 'hetzner' || input.provider === 'digital-ocean';
    if (!cloud || !this.deps.snapshots) return { path: 'full', image: input.image ?? null, reason: cloud ? 'snapshots not available' : `${input.provider} always runs the full install`, fallback: null };
    const snapshots = this.deps.snapshots;
    const requested = input.image && /^\d+$/.test(input.image) ? { id: input.image, from: 'requested' } : null;
    const fromEnv = !input.image && this.deps.snapshotIds?.[input.provider] ? { id: this.deps.snapshotIds[input.provider]!, from: input.provider === 'hetzner' ? 'HETZNER_SNAPSHOT_ID' : 'DIGITALOCEAN_SNAPSHOT_ID' } : null;
    const wanted = requested ?? fromEnv;
    if (wanted) {
      let found: Image | null = null;
      let lookupError: string | null = null;
      try {
        found = await snapshots.findSnapshot(input.provider, wanted.id, cachedOnly);
      } catch (err) {
        lookupError = (err as Error).message;
      }
      if (found) return { path: 'snapshot', image: found.id, reason: `${wanted.from} snapshot ${found.id} (${found.name})`, fallback: null };
      const why = lookupError ? `could not be looked up (${lookupError})` : `was not found on ${input.provider}`;
      return { path: 'full', image: null, reason: 'full install on the base image', fallback: `snapshot ${wanted.id} (${wanted.from}) ${why}: running the full install on the base image instead` };
    }
    if (input.image) return { path: 'full', image: input.image, reason: `requested image ${input.image}`, fallback: null };
    try {
      const current = await snapshots.currentSnapshot(input.provider, input.location, cachedOnly);
      if (current) return { path: 'snapshot', image: current.id, reason: `snapshot ${current.id} (${current.name}) built by this installation for bootstrap version ${this.deps.bootstrapVersion}`, fallback: null };
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, provider: input.provider }, 'listing snapshots failed; full install');
    }
    return { path: 'full', image: null, reason: `no snapshot for bootstrap version ${this.deps.bootstrapVersion}: full install on the base image`, fallback: null };
  }

  /**
   * The user-data this instance's server gets (the only secret in it is the one-time token; the
   * agent bundle's sha256 is pinned in it).
   */
  async userDataFor(row: InstanceRow, token: string): Promise<string> {
    const agentBundleSha256 = await this.deps.agentBundleSha256();
    return this.deps.renderUserData({
      provider: row.provider as ProviderName,
      path: (row.bootstrapPath as 'full' | 'snapshot' | null) ?? 'full',
      bootstrap: { apiUrl: this.deps.publicUrl, token, instanceId: row.id, serverName: row.serverName },
      workload: row.workload as WorkloadKind,
      bootstrapVersion: this.deps.bootstrapVersion,
      tailscale: row.tailscale,
      agentBundleSha256,
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
    const userData = await this.userDataFor(row, token);
    const spec = { name: row.serverName, labels: ownership(row), location: row.location ?? undefined, serverType: row.serverType ?? undefined, image: row.image ?? undefined, userData };
    try {
      const server = await provider.createServer(spec);
      await this.store.event(row.id, { actor: 'engine', kind: 'info', reason: `server ${server.id} created on ${provider.name}`, data: { serverId: server.id, name: server.name, replica: this.deps.replicaId } });
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
    await this.store.advance(instanceId, 'boot', { actor: 'engine', reason: `server ${server.id} booting`, data: { serverId: server.id } }, set);
    if (row.status === 'stopping' || row.status === 'stopped') {
      // A destroy raced with this create: make sure teardown sees the new server.
      await this.enqueue('teardown', instanceId);
    }
    await this.enqueue('connectTimeout', instanceId, { startAfter: Math.min(row.connectTimeoutSeconds, this.deps.stateTimeouts?.booting ?? row.connectTimeoutSeconds) });
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
    const deadline = row.createdAt.getTime() + row.connectTimeoutSeconds * 1000;
    // Each state also has its own bound (creating, booting, enrolling, configuring).
    const state = stateOfStep(row.step as Step | null);
    const limit = state ? this.deps.stateTimeouts?.[state] : undefined;
    const entered = limit ? ((await this.store.lastTransitionAt(instanceId)) ?? row.updatedAt).getTime() : 0;
    const stepDeadline = limit ? entered + limit * 1000 : Number.POSITIVE_INFINITY;
    const next = Math.min(deadline, stepDeadline);
    if (Date.now() < next - 100) {
      await this.enqueue('connectTimeout', instanceId, { startAfter: new Date(next) });
      return;
    }
    const reason = stepDeadline < deadline
      ? `stuck ${state} (at ${row.step}) for more than ${limit}s`
      : row.connection === 'connecting'
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
   *
   * The enrollment is bound to the agent that made it (src/domain/enroll-proof.ts): with a spent
   * token, only a request presenting the secret (`proof`) whose hash the accepted request sent
   * (`proofHash`) enrolls again, while the agent never connected, and it names the next hash.
   *
   * @example
   * await engine.enroll(token, { version: '0.1.0', proofHash: proofHashOf(secret) });
   * await engine.enroll(token, { proof: secret, proofHash: proofHashOf(next) }); // the first answer was lost
   */
  async enroll(token: string, meta: { version?: string; hostname?: string; nonce?: string; proofHash?: string; proof?: string }): Promise<Enrollment> {
    const hash = hashToken(token);
    const row = await this.store.findBy('bootstrapTokenHash', hash);
    if (!row) throw new UnauthorizedError('unknown bootstrap token');
    if (!row.bootstrapTokenUsedAt && row.bootstrapTokenExpiresAt && row.bootstrapTokenExpiresAt.getTime() < Date.now()) throw new UnauthorizedError('bootstrap token expired');
    if (!isActive(row.status as Lifecycle) || row.status === 'running') throw new UnauthorizedError(`instance is ${row.status}`);
    // The same agent asking again (its first response was lost to a crash or the network):
    // it proves it holds the secret, and it never connected → a fresh key for the same agent id.
    // Anyone else, including whoever saw an earlier request (token, proofHash): refused.
    const retry = row.bootstrapTokenUsedAt !== null;
    const proven = Boolean(retry && meta.proof && row.enrollProofHash && tokenMatches(meta.proof, row.enrollProofHash));
    if (retry && (!proven || row.connection !== 'connecting' || !row.agentId)) throw new UnauthorizedError(meta.proof && row.enrollProofHash && !proven ? ENROLL_PROOF_MISMATCH : 'bootstrap token already used');
    // An old agent (nonce, no proofHash) may enroll once; it cannot prove anything afterwards.
    const enrollProofHash = meta.proofHash?.toLowerCase() ?? null;
    // Mint the tailnet key before the token is spent: if the tailnet fails, the agent retries.
    const tailscale = await this.networkStep(row);
    let agentId: string;
    const agentKey = newToken('hga');
    if (retry) {
      agentId = row.agentId!;
      // The proof is spent with the key: a second request with it (a replay, a race) is refused.
      if (!(await this.store.reEnroll(row.id, row.enrollProofHash!, { agentKeyHash: hashToken(agentKey), enrollProofHash, agentVersion: meta.version ?? row.agentVersion }))) throw new UnauthorizedError(ENROLL_PROOF_MISMATCH);
      await this.store.event(row.id, { actor: 'agent', kind: 'warning', reason: `agent ${agentId} enrolled again (its first enrollment response was lost); key rotated`, data: { agentId } });
    } else {
      agentId = randomUUID();
      const spent = await this.store.spendBootstrapToken(hash, { agentId, agentKeyHash: hashToken(agentKey), agentVersion: meta.version ?? null, enrollProofHash });
      if (!spent) throw new UnauthorizedError('bootstrap token already used');
      await this.store.event(row.id, { actor: 'agent', kind: 'info', reason: `agent ${agentId} enrolled`, data: { agentId, version: meta.version, hostname: meta.hostname, bound: enrollProofHash !== null } });
    }
    await this.advance(row.id, 'enroll', 'agent enrolled');
    const secrets = row.secretsSealed ? (JSON.parse(open(row.secretsSealed, this.deps.secretKey)) as Record<string, string>) : {};
    await this.advance(row.id, 'network', tailscale ? 'tailscale auth key issued' : 'network step done');
    if (!row.ipv4 && row.serverId) {
      // Some clouds (DigitalOcean) assign addresses after create: one look, now that it booted.
      const server = await this.provider(row.provider).getServer(row.serverId).catch(() => null);
      if (server?.ipv4 || server?.ipv6) await this.store.update(row.id, { ipv4: server.ipv4 ?? null, ipv6: server.ipv6 ?? null });
    }
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
      releaseKeys: [...(this.deps.releaseKeys ?? [])],
      updateCheckSeconds: this.deps.updateCheckSeconds ?? 900,
      updateTrialSeconds: this.deps.updateTrialSeconds ?? 120,
    };
  }

  /**
   * The live instance whose agent presents `Authorization: Bearer <agentId>:<agentKey>`, or null.
   *
   * @example
   * const row = await engine.agentByAuthorization(req.headers.authorization); // null → 401
   */
  async agentByAuthorization(header: string | undefined): Promise<InstanceRow | null> {
    // Only a real UUID and a key of newToken's shape (hga_ + 32 bytes base64url) reach the
    // database: a malformed one is simply not authorized, never a failed uuid cast.
    const m = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(hga_[A-Za-z0-9_-]{43})$/.exec(header ?? '');
    if (!m) return null;
    const row = await this.store.findBy('agentId', m[1]);
    if (!row || !row.agentKeyHash || !tokenMatches(m[2], row.agentKeyHash) || row.status === 'stopped') return null;
    return row;
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
    await this.store.advance(instanceId, step, { actor, reason });
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

  /**
   * Give a non-terminal instance its driving job back (after a crash lost it, or a teardown ran
   * out of retries). Idempotent: the queue keeps one live job per instance. True if enqueued.
   */
  async resume(instanceId: string): Promise<boolean> {
    const row = await this.store.find(instanceId);
    if (!row) return false;
    if (row.status === 'stopping') return this.enqueue('teardown', instanceId);
    if (row.status === 'pending' || (row.status === 'provisioning' && row.step === 'create_server')) {
      const a = await this.enqueue('provision', instanceId);
      const b = await this.enqueue('connectTimeout', instanceId, { startAfter: new Date(row.createdAt.getTime() + row.connectTimeoutSeconds * 1000) });
      return a || b;
    }
    if (row.status === 'provisioning') return this.enqueue('connectTimeout', instanceId, { startAfter: new Date(row.createdAt.getTime() + row.connectTimeoutSeconds * 1000) });
    return false;
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
    for (let i = 0; i < (this.deps.workers ?? 8); i++) {
      this.workers.provision.push(await boss.work<JobData>(QUEUES.provision.name, opts, run((id, a) => this.provisionStep(id, a))));
      this.workers.teardown.push(await boss.work<JobData>(QUEUES.teardown.name, opts, run((id, a) => this.teardownStep(id, a))));
    }
    this.workers.connectTimeout.push(await boss.work<JobData>(QUEUES.connectTimeout.name, opts, run((id) => this.connectTimeoutStep(id))));
  }

  private readonly workers: Record<QueueName, string[]> = { provision: [], teardown: [], connectTimeout: [], snapshotBuild: [], smokeSweep: [] };

  /** Enqueue a step and wake this process's idle workers for it (others poll). */
  private async enqueue(queue: QueueName, instanceId: string, opts: { startAfter?: number | Date } = {}): Promise<boolean> {
    const id = await enqueue(this.deps.boss, queue, instanceId, opts);
    if (opts.startAfter === undefined) for (const w of this.workers[queue]) this.deps.boss.notifyWorker(w);
    return id !== null;
  }
}

function ownership(row: InstanceRow): Record<string, string> {
  return { [LABEL_INSTALLATION]: row.labels[LABEL_INSTALLATION], [LABEL_INSTANCE]: row.labels[LABEL_INSTANCE] };
}

export { STEPS };

/** The provisioning states operators set timeouts for, and the steps each covers. */
export type ProvisioningState = 'creating' | 'booting' | 'enrolling' | 'configuring';
export function stateOfStep(step: Step | null): ProvisioningState | null {
  if (step === 'create_server') return 'creating';
  if (step === 'boot') return 'booting';
  if (step === 'enroll' || step === 'network') return 'enrolling';
  if (step === 'configure' || step === 'workload') return 'configuring';
  return null;
}
