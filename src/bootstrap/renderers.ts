/**
 * The bootstrap renderers as the engine receives them (its `EngineDeps`): one object, so
 * src/server.ts wires them in one place and a test can swap one out.
 *
 * @example
 * const r = defaultRenderers();
 * new Engine({ …, renderUserData: r.userData, renderWorkload: r.workload, bootstrapVersion: r.bootstrapVersion });
 */
import { BOOTSTRAP_VERSION, renderSnapshotBuilderUserData, renderUserData } from './cloud-init.ts';
import type { BootstrapInput, SnapshotBuilderInput, WorkloadInput, WorkloadKind, WorkloadPlan } from './types.ts';
import { completeWorkloadSecrets, renderWorkload, validateWorkloadConfig } from './workload.ts';

/** What the engine gets from the bootstrap renderers. */
export interface Renderers {
  /** Version of the install recipe: snapshots are labelled with it (`hangar.dev/bootstrap-version`). */
  bootstrapVersion: string;
  /** `#cloud-config` user-data of one instance (full or snapshot path); only secret: the one-time token. */
  userData(input: BootstrapInput): string;
  /** The workload plan the agent receives at enrollment (the engine passes its instance row). */
  workload(instance: WorkloadInput, secrets: Record<string, string>): WorkloadPlan;
  /** User-data of a snapshot builder: full install, no identity, then clean, signal, power off. */
  snapshotBuilderUserData(input: SnapshotBuilderInput): string;
  /** Throws ValidationError naming `config.<field>` when a workload's settings are wrong. */
  validateWorkload(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, provider?: string): void;
  /** Secrets a workload would otherwise generate at each render (generate once, at creation). */
  completeSecrets(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>): Record<string, string>;
}

/**
 * Wires the pure bootstrap renderers into the engine.
 *
 * @example
 * defaultRenderers().bootstrapVersion === BOOTSTRAP_VERSION // → true
 */
export function defaultRenderers(): Renderers {
  return {
    bootstrapVersion: BOOTSTRAP_VERSION,
    userData: renderUserData,
    workload: (instance, secrets) => renderWorkload(instance, secrets),
    snapshotBuilderUserData: renderSnapshotBuilderUserData,
    validateWorkload: validateWorkloadConfig,
    completeSecrets: (kind, config, secrets) => completeWorkloadSecrets(kind, config, secrets),
  };
}
