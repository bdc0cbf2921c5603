/**
 * The API's shapes, as served by src/api/serialize.ts: declared here, never imported from the
 * server, so the dashboard depends on the API contract only.
 */

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

/** A server type's list price at one location. */
export interface Price {
  location: string;
  hourly: number;
  monthly: number;
  currency: string;
}

/** A size of server a provider offers, with its prices per location. */
export interface ServerType {
  name: string;
  description?: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  architecture?: string;
  prices: Price[];
}

/** A place a provider can put a server. */
export interface Location {
  name: string;
  description?: string;
  country?: string;
  city?: string;
}

/** A snapshot as GET /v1/snapshots describes it; the dashboard renders it field by field. */
export type SnapshotLike = Record<string, unknown>;

/** The body of POST /v1/instances, as the create form sends it. */
export interface CreateInstanceBody {
  provider: string;
  workload: WorkloadKind;
  config: Record<string, unknown>;
  tailscale: boolean;
  onFailure: 'destroy' | 'keep';
  name?: string;
  location?: string;
  serverType?: string;
  image?: string;
  tailscaleTags?: string[];
  connectTimeoutSeconds?: number;
}

/** The query of GET /v1/instances. */
export interface InstanceQuery {
  limit?: number;
  /** One lifecycle status, or several joined by commas. */
  status?: string;
  provider?: string;
  cursor?: string;
}

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
