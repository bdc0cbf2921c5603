/**
 * Plain data the bootstrap renderers turn into text. No secrets live here except the one-time
 * bootstrap token, which is the only credential user-data may carry.
 */
import type { BootstrapConfig, WorkloadKind } from '../domain/agent-contract.ts';
import type { ProviderName } from '../domain/providers.ts';

// What crosses the wire to the agent lives in src/domain/agent-contract.ts (the agent imports it there).
export type { BootstrapConfig, Enrollment, HealthCheck, WorkloadFile, WorkloadKind, WorkloadPlan } from '../domain/agent-contract.ts';

/** Where the agent's one-time bootstrap config is written on the server (mode 0600). */
export const BOOTSTRAP_PATH = '/opt/hangar/config/bootstrap.json';
/** Hangar's directory tree on a server (seed 000's `/opt/openclaw`, renamed). */
export const HANGAR_ROOT = '/opt/hangar';

export type BootstrapPath = 'full' | 'snapshot';

export interface BootstrapInput {
  provider: ProviderName;
  path: BootstrapPath;
  bootstrap: BootstrapConfig;
  workload: WorkloadKind;
  /** Bootstrap (install recipe) version; snapshots are labelled with it. */
  bootstrapVersion: string;
  /** Keep public SSH open after the tailnet is up (default false: closed). */
  keepSsh?: boolean;
  /** Whether the server joins a tailnet (the auth key itself comes over enrollment). */
  tailscale?: boolean;
  /** Extra SSH public keys for the admin user. */
  sshAuthorizedKeys?: string[];
  /**
   * sha256 (64 lowercase hex digits) of the agent bundle the control plane serves at
   * `/v1/agent/bundle`: the install script installs the download only when it matches.
   */
  agentBundleSha256: string;
}

/**
 * A file a bootstrap renderer produces for the server itself (units, hardening drop-ins,
 * helper scripts). The install script embeds each one and writes it idempotently; dry runs list
 * them.
 */
export interface BootstrapFile {
  path: string;
  content: string;
  /** Octal string, e.g. '0644'. */
  mode: string;
  /** `user:group`, e.g. 'root:root'. */
  owner: string;
  /** Write only when the file does not exist yet (a file its program rewrites later, e.g. agent.env). */
  onlyIfMissing?: boolean;
}

/**
 * What the install script needs: everything in {@link BootstrapInput} except the one-time token,
 * which it never sees (it reads nothing but {@link BOOTSTRAP_PATH} at run time). Without
 * `instanceId`/`serverName` (a snapshot build) it installs everything but no instance identity.
 */
export interface InstallScriptInput {
  provider: ProviderName;
  path: BootstrapPath;
  workload: WorkloadKind;
  bootstrapVersion: string;
  bootstrap: { apiUrl: string; instanceId?: string; serverName?: string };
  keepSsh?: boolean;
  tailscale?: boolean;
  /** sha256 of the agent bundle the script downloads: required to render the script (not to list its files). */
  agentBundleSha256?: string;
}

/** Input of the snapshot builder's user-data: a full install with no instance identity. */
export interface SnapshotBuilderInput {
  provider: ProviderName;
  bootstrapVersion: string;
  apiUrl: string;
  buildId: string;
  /** Short-lived token that authorizes only `POST /v1/snapshot-builds/{buildId}/ready`. */
  buildToken: string;
  /** sha256 of the agent bundle the builder downloads (see {@link BootstrapInput.agentBundleSha256}). */
  agentBundleSha256: string;
}

/**
 * What a workload renderer reads from an instance: the engine passes its `InstanceRow`, which has
 * all of these (bootstrap imports nothing from the engine).
 */
export interface WorkloadInput {
  id: string;
  serverName: string;
  workload: string;
  /** Non-secret settings (the request's `config` without the secret names). */
  workloadConfig: Record<string, unknown>;
  /** Whether the server joins a tailnet: the workload is then published with `tailscale serve`. */
  tailscale: boolean;
  /** The instance's provider: `local` runs only the `process` workload (the others install system services). */
  provider?: string;
}
