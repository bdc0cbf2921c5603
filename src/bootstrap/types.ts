/**
 * Plain data the bootstrap renderers turn into text. No secrets live here except the one-time
 * bootstrap token, which is the only credential user-data may carry.
 */
import type { ProviderName } from '../providers/types.ts';

export type WorkloadKind = 'process' | 'openclaw' | 'agent-manager' | 'runner-stack' | 'compose';

/** Where the agent's one-time bootstrap config is written on the server (mode 0600). */
export const BOOTSTRAP_PATH = '/opt/hangar/config/bootstrap.json';
/** Hangar's directory tree on a server (seed 000's `/opt/openclaw`, renamed). */
export const HANGAR_ROOT = '/opt/hangar';

/** The contents of {@link BOOTSTRAP_PATH}: all an agent needs to enroll. */
export interface BootstrapConfig {
  apiUrl: string;
  /** One-time, short-lived bootstrap token (`hgb_…`), bound to `instanceId`. */
  token: string;
  instanceId: string;
  serverName: string;
}

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

/** A file the agent writes on the server when it receives its workload at enrollment. */
export interface WorkloadFile {
  path: string;
  content: string;
  /** Octal string, e.g. '0600'. */
  mode: string;
  owner?: string;
}

/** How the agent decides the workload is healthy. */
export type HealthCheck =
  | { type: 'http'; url: string; expectStatus?: number }
  | { type: 'compose'; file: string; services: string[] }
  | { type: 'systemd'; unit: string };

/**
 * What the agent receives over the enrollment channel to run its workload: files (secrets
 * included, written 0600), the commands to start and stop it, and its health check.
 */
export interface WorkloadPlan {
  kind: WorkloadKind;
  files: WorkloadFile[];
  /** argv lists run in order by the agent (as root on a server, as the user locally). */
  start: string[][];
  stop: string[][];
  health: HealthCheck;
  /** For `process`: a long-running command the agent supervises itself. */
  process?: { command: string; args: string[]; env?: Record<string, string>; port?: number };
  /** Smoke test argv, run by `hangar smoke` and the daily timer. */
  smoke?: string[];
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

/** What `POST /v1/agents/enroll` answers: the agent's identity, key, workload and tailnet key. */
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
  /** Ed25519 public keys (base64 SPKI DER) the agent pins: only releases they signed are run. */
  releaseKeys: string[];
  /** How often the agent asks for an approved release (seed 004's update timer: 15 minutes). */
  updateCheckSeconds: number;
  /** How long a new release has to report itself healthy before it is rolled back. */
  updateTrialSeconds: number;
}
