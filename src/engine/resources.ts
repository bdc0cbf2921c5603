import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BootstrapInput, WorkloadKind, WorkloadPlan } from '../bootstrap/types.ts';
import { ValidationError } from '../domain/errors.ts';
import type { CloudProvider, Image, ProviderName } from '../providers/types.ts';
import type { DbBudgetStore } from '../db/stores/budgets.ts';
import type { Catalogue } from './catalogue.ts';
import { JobQueue } from './jobs.ts';
import type { AgentChannel, ProviderRegistry } from './ports.ts';
import type { RuntimeSettings } from './settings.ts';
import type { InstanceRow, Store } from './store.ts';
import type { PoolStore } from './pools/store.ts';

/** The provisioning states operators set timeouts for (each covers some steps: systems/timeouts.ts). */
export type ProvisioningState = 'creating' | 'booting' | 'enrolling' | 'configuring';

/** What the engine is built from (src/server.ts wires it). */
export interface EngineDeps {
  store: Store;
  boss: PgBoss;
  /** The configured providers; server.ts replaces clouds in it when credentials change. */
  providers: ProviderRegistry;
  /** What changes at run time: the URL agents dial, the tailnet. */
  settings: RuntimeSettings;
  installationId: string;
  secretKey: Buffer;
  heartbeatSeconds: number;
  /** Trusted agent release keys (HANGAR_RELEASE_KEYS), pinned by agents at enrollment. */
  releaseKeys?: readonly string[];
  /** How often agents ask for an approved release (HANGAR_AGENT_UPDATE_SECONDS, default 900). */
  updateCheckSeconds?: number;
  /** Turn on Tailscale SSH on tailnet instances (HANGAR_TAILSCALE_SSH, default on). */
  tailscaleSsh?: boolean;
  /** How long a new agent release has to prove itself healthy (HANGAR_AGENT_UPDATE_TRIAL_SECONDS, default 120). */
  updateTrialSeconds?: number;
  connectTimeoutSeconds: number;
  pollSeconds: number;
  /** Installation defaults for new instances (HANGAR_DEFAULT_TTL, HANGAR_DEFAULT_IDLE_STOP), seconds; unset: none. */
  defaultTtlSeconds?: number;
  defaultIdleStopSeconds?: number;
  /** Workers per provision/teardown queue in this process. */
  workers?: number;
  /** Seconds an instance may stay in each provisioning state before it fails (on top of the connect timeout). */
  stateTimeouts?: Partial<Record<ProvisioningState, number>>;
  /** This process, as events name it (which replica ran a step). */
  replicaId?: string;
  log: Logger;
  /** Renders cloud-init user-data (src/bootstrap). */
  renderUserData: (input: BootstrapInput) => string;
  /** sha256 of the agent bundle served at /v1/agent/bundle, pinned in user-data (src/build/agent-bundle.ts `agentBundleSha256`). */
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
  /** Server types, locations and prices (validates choices and prices creates; none: no checks, no prices). */
  catalogue?: Catalogue;
  /** Budgets and each instance's cost record (none: no caps). */
  ledger?: DbBudgetStore;
  /** Providers switched off on purpose, with how to switch them on (the 400 for them says it). */
  disabledProviders?: Partial<Record<string, string>>;
  /** Warm pools (src/engine/pools/): creates claim from them; `refill` asks the keeper for a pass. */
  pools?: { store: PoolStore; refill(): void };
}

/**
 * The one resources object every engine system (systems/*) works on: the deps, frozen, plus
 * this process's job queue and the agent channel. Nothing in it is ever reassigned; what
 * changes at run time lives behind explicit setters (`settings`, `agents.attach`).
 */
export interface EngineResources extends Readonly<EngineDeps> {
  readonly jobs: JobQueue;
  readonly agents: AgentChannelSlot;
}

/**
 * Freeze the deps into the engine's resources (a shallow copy: the caller's object stays theirs).
 *
 * @example
 * const r = engineResources(deps);
 * Object.isFrozen(r) // → true
 */
export function engineResources(deps: EngineDeps): EngineResources {
  const frozen = <T extends object>(o: T | undefined): Readonly<T> | undefined => (o ? Object.freeze({ ...o }) : undefined);
  return Object.freeze({
    ...deps,
    releaseKeys: deps.releaseKeys ? Object.freeze([...deps.releaseKeys]) : undefined,
    stateTimeouts: frozen(deps.stateTimeouts),
    snapshotIds: frozen(deps.snapshotIds),
    disabledProviders: frozen(deps.disabledProviders),
    jobs: new JobQueue(deps.boss, deps.pollSeconds),
    agents: new AgentChannelSlot(),
  });
}

/**
 * A configured provider by name, or a 400 naming `provider` (saying how to switch a disabled one on).
 *
 * @example
 * providerOf(r, 'local').createServer(spec);
 */
export function providerOf(r: EngineResources, name: string): CloudProvider {
  const p = r.providers.get(name as ProviderName);
  const off = p ? undefined : r.disabledProviders?.[name];
  if (off) throw new ValidationError(`provider "${name}" is not available: ${off}`, [{ field: 'provider', message: off }]);
  if (!p) throw new ValidationError(`provider "${name}" is not configured`, [{ field: 'provider', message: `not configured; configured: ${[...r.providers.keys()].join(', ')}` }]);
  return p;
}

/**
 * The late-bound {@link AgentChannel}: attached once (by server.ts, with the hub); until then no
 * agent is reachable and `shutdown` answers false.
 *
 * @example
 * const slot = new AgentChannelSlot();
 * await slot.shutdown(id); // → false
 * slot.attach(hub);
 */
export class AgentChannelSlot implements AgentChannel {
  #channel: AgentChannel | null = null;

  attach(channel: AgentChannel): void {
    if (this.#channel) throw new Error('an agent channel is already attached');
    this.#channel = channel;
  }

  shutdown(instanceId: string): Promise<boolean> {
    return this.#channel ? this.#channel.shutdown(instanceId) : Promise.resolve(false);
  }

  configure(instanceId: string): Promise<{ ok: boolean; error?: string }> {
    return this.#channel?.configure ? this.#channel.configure(instanceId) : Promise.resolve({ ok: false, error: 'no agent channel' });
  }
}
