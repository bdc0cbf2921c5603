import type { Enrollment, WorkloadPlan } from '../domain/agent-contract.ts';
import type { Step } from '../domain/lifecycle.ts';
import type { CloudProvider, ProviderName } from '../providers/types.ts';
import type { AgentChannel } from './ports.ts';
import { engineResources, providerOf, type EngineDeps, type EngineResources } from './resources.ts';
import type { RuntimeSettings } from './settings.ts';
import type { InstanceRow, Store } from './store.ts';
import { createInstance, instanceSecrets, secretNames, type CreateInstanceInput } from './systems/create.ts';
import { isPoolMember, type PoolRow } from './pools/store.ts';
import { ConflictError } from '../domain/errors.ts';
import type { Cap } from '../domain/budget.ts';
import { costs, setBudget, type CostsView } from './budgets.ts';
import { readiness, type Readiness } from './systems/health.ts';
import { start, stop, type StopOptions } from './systems/hibernate.ts';
import { extend, lifetimeStep } from './systems/lifetime.ts';
import { plan } from './systems/plan.ts';
import { advance, agentEnrolled, tailnetKeyFor, workloadHealthy } from './systems/progress.ts';
import { destroy, fail } from './systems/teardown.ts';
import { resume, work } from './systems/workers.ts';

export type { CreateInstanceInput } from './systems/create.ts';
export type { EngineDeps, ProvisioningState } from './resources.ts';
export type { Readiness } from './systems/health.ts';
export type { StopOptions } from './systems/hibernate.ts';

/**
 * The durable workflows of an instance: intent → create_server → (agent) enroll → network →
 * configure → workload → running, and destroy → stopping → stopped. Each step is a pg-boss job
 * or an agent message; every step looks before it acts, so replays and crashes are harmless.
 *
 * A thin facade: each concern is a module under systems/ working on one frozen
 * {@link EngineResources} object; what changes at run time goes through `settings` and
 * `setAgentChannel`.
 *
 * @example
 * const engine = new Engine({ store, boss, providers, settings, … });
 * engine.setAgentChannel(hub);
 * await engine.work();
 * const row = await engine.createInstance(input, 'api:admin');
 */
export class Engine {
  private readonly r: EngineResources;

  constructor(deps: EngineDeps) {
    this.r = engineResources(deps);
  }

  get store(): Store {
    return this.r.store;
  }

  /** What changes at run time: `setPublicUrl` (after listen), `setTailnet` (credentials changed). */
  get settings(): RuntimeSettings {
    return this.r.settings;
  }

  /** The configured providers, by name (read-only). */
  get providers(): ReadonlyMap<ProviderName, CloudProvider> {
    return this.r.providers;
  }

  /** The URL agents dial (enrollment and hub). */
  get publicUrl(): string {
    return this.r.settings.publicUrl;
  }

  get heartbeatSeconds(): number {
    return this.r.heartbeatSeconds;
  }

  /** The key that seals secrets at rest. */
  get secretKey(): Buffer {
    return this.r.secretKey;
  }

  get installationId(): string {
    return this.r.installationId;
  }

  /** Version of the install recipe (snapshots are labelled with it). */
  get bootstrapVersion(): string {
    return this.r.bootstrapVersion;
  }

  /** Give the engine its way to the agents (the hub), once. */
  setAgentChannel(channel: AgentChannel): void {
    this.r.agents.attach(channel);
  }

  /** A configured provider, or a 400 naming `provider`. */
  provider(name: string): CloudProvider {
    return providerOf(this.r, name);
  }

  /** Write the intent row (with name, labels and a sealed one-time token), then enqueue provisioning. */
  createInstance(input: CreateInstanceInput, actor: string): Promise<InstanceRow> {
    return createInstance(this.r, input, actor);
  }

  /** A new warm member of `pool`: an instance with no user settings whose agent gets an idle plan. */
  createPoolMember(pool: PoolRow): Promise<InstanceRow> {
    const p = pool.provider as ProviderName;
    return createInstance(this.r, { provider: p, serverType: pool.serverType ?? undefined, location: pool.location ?? undefined, workload: pool.workload as CreateInstanceInput['workload'], workloadConfig: {}, secrets: {}, tailscale: false, tailscaleTags: [], project: pool.project, poolId: pool.id }, `pool:${pool.name}`);
  }

  /** The workload an enrolled agent runs (GET /v1/agents/workload); a 409 for an unclaimed pool member. */
  workloadPlan(row: InstanceRow): WorkloadPlan {
    if (isPoolMember(row)) throw new ConflictError('this server is a warm pool member: it gets its workload when a create claims it');
    return this.r.renderWorkload(row, instanceSecrets(this.r, row));
  }

  /** Set or (null) remove the monthly budget of the installation (project null) or a project. */
  setBudget(project: string | null, cap: Cap | null, actor: string): Promise<void> {
    return setBudget(this.r, project, cap, actor);
  }

  /** This month's spend, projection and budgets, of a project or (null) the installation. */
  costs(project: string | null): Promise<CostsView> {
    return costs(this.r, project);
  }

  /** Names of the secret settings an instance has (never their values). */
  secretNames(row: InstanceRow): string[] {
    return secretNames(this.r, row);
  }

  /** Dry run: what creating this instance would do, with the exact user-data (token redacted). */
  plan(input: CreateInstanceInput): Promise<Record<string, unknown>> {
    return plan(this.r, input);
  }

  /** Move an instance to failed (if it can be) and apply its onFailure policy. */
  fail(instanceId: string, reason: string, actor: string): Promise<void> {
    return fail(this.r, instanceId, reason, actor);
  }

  /** Request teardown: stopping now, the server is deleted by a durable job. */
  destroy(instanceId: string, actor: string, reason?: string): Promise<InstanceRow> {
    return destroy(this.r, instanceId, actor, reason);
  }

  /** Stop (hibernate) a running instance; `keepServer`: power off only. Durable and idempotent. */
  stop(instanceId: string, actor: string, opts: StopOptions = {}): Promise<InstanceRow> {
    return stop(this.r, instanceId, actor, opts);
  }

  /** Start a stopped (hibernated) instance: from its image or its kept server, back through enroll → running. */
  start(instanceId: string, actor: string): Promise<InstanceRow> {
    return start(this.r, instanceId, actor);
  }

  /** Extend an instance's TTL by `seconds` from its current deadline (or now). */
  extend(instanceId: string, seconds: number, actor: string): Promise<InstanceRow> {
    return extend(this.r, instanceId, seconds, actor);
  }

  /** Apply what the lifetime timer finds due for an instance at `now` (the timer's job; tests and the bench call it). */
  lifetimeTick(instanceId: string, now?: Date): Promise<void> {
    return lifetimeStep(this.r, instanceId, now);
  }

  /** Move a provisioning instance forward to `step` if it is not already there or past it. */
  advance(instanceId: string, step: Step, reason: string, actor?: string): Promise<void> {
    return advance(this.r, instanceId, step, reason, actor);
  }

  /** The agent reports its workload healthy: provisioning → running (first time only). */
  workloadHealthy(instanceId: string, healthy: boolean, detail?: string): Promise<void> {
    return workloadHealthy(this.r, instanceId, healthy, detail);
  }

  /** The network step of an enrolling agent: its tailnet auth key, or null. */
  tailnetKeyFor(row: InstanceRow): Promise<Enrollment['tailscale']> {
    return tailnetKeyFor(this.r, row);
  }

  /** The steps and answer of an enrollment whose credentials are recorded (src/hub/enrollment.ts). */
  agentEnrolled(row: InstanceRow, agent: { agentId: string; agentKey: string }, tailscale: Enrollment['tailscale']): Promise<Enrollment> {
    return agentEnrolled(this.r, row, agent, tailscale);
  }

  /** Give a non-terminal instance its driving job back; true if enqueued. */
  resume(instanceId: string): Promise<boolean> {
    return resume(this.r, instanceId);
  }

  /** Register the pg-boss workers for this process. */
  work(): Promise<void> {
    return work(this.r);
  }

  /** Whether the database and the job queue answer (`/healthz`, `/readyz`). */
  ready(): Promise<Readiness> {
    return readiness(this.r);
  }
}
