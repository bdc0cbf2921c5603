import { BOOTSTRAP_VERSION, redactUserData, renderSnapshotBuilderUserData, renderUserData } from './bootstrap/cloud-init.ts';
import { renderBootstrapFiles, renderInstallScript } from './bootstrap/install-script.ts';
import { renderBootstrapPreview, type BootstrapPreview } from './bootstrap/preview.ts';
import type { BootstrapFile, BootstrapInput, InstallScriptInput, SnapshotBuilderInput, WorkloadInput, WorkloadKind, WorkloadPlan } from './bootstrap/types.ts';
import { completeWorkloadSecrets, redactWorkloadPlan, renderWorkload, validateWorkloadConfig } from './bootstrap/workload.ts';
import type { InstanceRow } from './engine/store.ts';

/** What the engine gets from the bootstrap renderers. */
export interface Renderers {
  /** Version of the install recipe: snapshots are labelled with it (`hangar.dev/bootstrap-version`). */
  bootstrapVersion: string;
  /** `#cloud-config` user-data of one instance (full or snapshot path); only secret: the one-time token. */
  userData(input: BootstrapInput): string;
  /** The workload plan the agent receives at enrollment. */
  workload(row: InstanceRow, secrets: Record<string, string>): WorkloadPlan;
  /** User-data of a snapshot builder: full install, no identity, then clean, signal, power off. */
  snapshotBuilderUserData(input: SnapshotBuilderInput): string;
  /** The bash install script on its own (what the SSH provider uploads and runs). */
  installScript(input: InstallScriptInput): string;
  /** Files the install script writes, for dry runs. */
  bootstrapFiles(input: InstallScriptInput): BootstrapFile[];
  /** Throws ValidationError naming `config.<field>` when a workload's settings are wrong. */
  validateWorkload(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>, provider?: string): void;
  /** Secrets a workload would otherwise generate at each render (generate once, at creation). */
  completeSecrets(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string>): Record<string, string>;
  /** Everything a dry run shows: redacted user-data, its size and limit, files, redacted workload plan. */
  preview(input: BootstrapInput, workload: WorkloadInput, secrets: Record<string, string>): BootstrapPreview;
  /** Redaction for dry runs and logs. */
  redactUserData(userData: string, token: string): string;
  redactWorkloadPlan(plan: WorkloadPlan, secrets: Record<string, string>): WorkloadPlan;
}

/** Wires the pure bootstrap renderers into the engine. */
export function defaultRenderers(): Renderers {
  return {
    bootstrapVersion: BOOTSTRAP_VERSION,
    userData: renderUserData,
    workload: (row, secrets) => renderWorkload(row, secrets),
    snapshotBuilderUserData: renderSnapshotBuilderUserData,
    installScript: renderInstallScript,
    bootstrapFiles: renderBootstrapFiles,
    validateWorkload: validateWorkloadConfig,
    completeSecrets: (kind, config, secrets) => completeWorkloadSecrets(kind, config, secrets),
    preview: renderBootstrapPreview,
    redactUserData,
    redactWorkloadPlan,
  };
}
