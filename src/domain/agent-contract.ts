/**
 * What crosses the wire to the agent: the bootstrap config a server is given
 * ({@link BootstrapConfig}), what enrollment answers ({@link Enrollment}) and the workload plan
 * inside it ({@link WorkloadPlan}), plus the one path on the server both sides know
 * ({@link CLOSE_PUBLIC_SSH_PATH}). Plain types shared by the control plane (bootstrap/, engine/)
 * and the agent bundle (agent/), which imports nothing else of the server.
 *
 * @example
 * const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as BootstrapConfig;
 * const enrollment = (await res.json()) as Enrollment;
 */

export type WorkloadKind = 'process' | 'openclaw' | 'agent-manager' | 'runner-stack' | 'compose';

/** The contents of the server's bootstrap.json (`/opt/hangar/config/bootstrap.json`): all an agent needs to enroll. */
export interface BootstrapConfig {
  apiUrl: string;
  /** One-time, short-lived bootstrap token (`hgb_…`), bound to `instanceId`. */
  token: string;
  instanceId: string;
  serverName: string;
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
  /** `project`: the compose project (`-p`) the stack was started under; a file's own `name:` does not change it. */
  | { type: 'compose'; file: string; project?: string; services: string[] }
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
  /** A supervised process; `user`: the system user it runs as when the agent is root. */
  process?: { command: string; args: string[]; env?: Record<string, string>; port?: number; user?: string };
  /** Smoke test argv, run by `hangar smoke` and the daily timer. */
  smoke?: string[];
  /** A warm pool's member: nothing runs until the control plane sends `configure` (a create claimed it). */
  idle?: boolean;
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
  /** The tailnet join: single-use key, hostname, tags, and whether to run Tailscale SSH. */
  tailscale: { authKey: string; hostname: string; tags: string[]; ssh?: boolean } | null;
  /** Ed25519 public keys (base64 SPKI DER) the agent pins: only releases they signed are run. */
  releaseKeys: string[];
  /** How often the agent asks for an approved release (seed 004's update timer: 15 minutes). */
  updateCheckSeconds: number;
  /** How long a new release has to report itself healthy before it is rolled back. */
  updateTrialSeconds: number;
}

/**
 * The script that closes public SSH: the install script writes it only on servers that should
 * close it, and the agent runs it once `tailscale up` succeeded.
 */
export const CLOSE_PUBLIC_SSH_PATH = '/opt/hangar/bootstrap/close-public-ssh.sh';
