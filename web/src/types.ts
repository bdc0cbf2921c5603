/** The API's shapes, as served by src/api/serialize.ts. */

export const LIFECYCLE = ['pending', 'provisioning', 'running', 'stopping', 'stopped', 'failed'] as const;
export type Lifecycle = (typeof LIFECYCLE)[number];

export const STEPS = ['create_server', 'boot', 'enroll', 'network', 'configure', 'workload'] as const;
export type Step = (typeof STEPS)[number];

export type Connection = 'connecting' | 'connected' | 'disconnected' | 'timeout';

export const PROVIDERS = ['local', 'hetzner', 'digital-ocean', 'ssh'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const WORKLOADS = ['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose'] as const;
export type WorkloadKind = (typeof WORKLOADS)[number];

export interface Instance {
  id: string;
  name: string;
  serverName: string;
  provider: ProviderName;
  location: string | null;
  serverType: string | null;
  image: string | null;
  workload: WorkloadKind;
  config: Record<string, unknown>;
  secrets: string[];
  status: Lifecycle;
  step: Step | null;
  connection: Connection;
  bootstrapPath: string | null;
  serverId: string | null;
  ipv4: string | null;
  ipv6: string | null;
  tailscale: boolean;
  tailnetName: string | null;
  agentId: string | null;
  agentVersion: string | null;
  lastHeartbeatAt: string | null;
  workloadHealthy: boolean | null;
  connectTimeoutSeconds: number;
  onFailure: 'destroy' | 'keep';
  failureReason: string | null;
  labels: Record<string, string>;
  monthlyPrice: number | null;
  /** Not served yet; used when present. */
  currency?: string;
  createdAt: string;
  updatedAt: string;
  runningAt: string | null;
}

export type EventKind = 'transition' | 'connection' | 'log' | 'info' | 'warning' | 'error';

export interface InstanceEvent {
  id: number;
  instanceId: string;
  at: string;
  actor: string;
  kind: EventKind;
  from: string | null;
  to: string | null;
  step: string | null;
  reason: string | null;
  data: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ProviderInfo {
  name: ProviderName;
  userDataLimit: number;
}

/** The catalogue's shapes, as the API serves them (type-only: nothing of the server is bundled). */
export type { Location, Price, ServerType } from '../../src/providers/types.ts';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface Plan {
  dryRun: true;
  serverName: string;
  bootstrapPath: string;
  steps: string[];
  tailscale: string;
  userDataBytes: number;
  userDataLimit: number;
  userData: string;
  secrets: string[];
  [k: string]: unknown;
}
