import { USER_DATA_LIMITS, redactUserData, renderUserData } from './cloud-init.ts';
import { renderBootstrapFiles } from './install-script.ts';
import type { BootstrapInput, WorkloadInput, WorkloadKind, WorkloadPlan } from './types.ts';
import { completeWorkloadSecrets, redactWorkloadPlan, renderWorkload } from './workload.ts';

export interface BootstrapPreview {
  bootstrapVersion: string;
  bootstrapPath: BootstrapInput['path'];
  /** The exact user-data, with the one-time token replaced by `[REDACTED]`. */
  userData: string;
  userDataBytes: number;
  /** The provider's limit in bytes (null: nothing is uploaded, e.g. the local provider). */
  userDataLimit: number | null;
  /** What the install script writes on the server (contents left out). */
  files: { path: string; mode: string; owner: string }[];
  /** The workload plan the agent will receive, every secret value redacted. */
  workload: WorkloadPlan;
}

/**
 * Everything a dry run shows (`hangar create --dry-run`, `POST /v1/instances?dryRun=true`):
 * the exact user-data with the token redacted, its size against the provider's limit, the files
 * the install script writes, and the workload plan with secrets (given or to be generated)
 * redacted. Throws the renderers' ValidationError (fields named) when anything is invalid, so a
 * dry run fails exactly where a real create would.
 *
 * @example
 * const p = renderBootstrapPreview(input, { id, serverName, workload: 'agent-manager', workloadConfig: {}, tailscale: true }, {});
 * p.userData.includes('[REDACTED]') // → true
 */
export function renderBootstrapPreview(input: BootstrapInput, workload: WorkloadInput, secrets: Record<string, string>): BootstrapPreview {
  const userData = renderUserData(input);
  const complete = completeWorkloadSecrets(workload.workload as WorkloadKind, workload.workloadConfig, secrets);
  const plan = renderWorkload(workload, complete);
  return {
    bootstrapVersion: input.bootstrapVersion,
    bootstrapPath: input.path,
    userData: redactUserData(userData, input.bootstrap.token),
    userDataBytes: Buffer.byteLength(userData),
    userDataLimit: USER_DATA_LIMITS[input.provider],
    files: renderBootstrapFiles({ ...input, bootstrap: input.bootstrap }).map(({ path, mode, owner }) => ({ path, mode, owner })),
    workload: redactWorkloadPlan(plan, complete),
  };
}
