/**
 * The API's shapes by name, all from the generated contract (schema.d.ts): what the clients read
 * and send. Types only; nothing here runs.
 */
import type { components, operations, paths } from './schema.d.ts';

export type { components, operations, paths };
type S = components['schemas'];

export type Instance = S['Instance'];
export type InstanceEvent = S['InstanceEvent'];
export type Page<T> = { items: T[]; nextCursor: string | null };
export type Plan = S['Plan'];
/** `POST /v1/instances`: the body as a client may send it (defaults filled by the server). */
export type CreateInstanceBody = S['CreateInstance'];
/** `GET /v1/instances`: its query. */
export type InstanceQuery = NonNullable<operations['listInstances']['parameters']['query']>;

export type ProviderName = Instance['provider'];
export type WorkloadKind = Instance['workload'];
export type Lifecycle = Instance['status'];
export type Step = NonNullable<Instance['step']>;
export type Connection = Instance['connection'];
export type EventKind = InstanceEvent['kind'];

export type ProviderInfo = S['ProviderInfo'];
export type Price = S['Price'];
export type ServerType = S['ServerType'];
export type Location = S['Location'];

export type SshHost = S['SshHost'];
export type SshHostProbed = S['SshHostProbed'];
/** `POST /v1/ssh-hosts`: the body. */
export type RegisterSshHostBody = NonNullable<operations['registerSshHost']['requestBody']>['content']['application/json'];

export type Snapshot = S['Snapshot'];
export type SnapshotPrune = S['SnapshotPrune'];
export type SnapshotBuild = S['SnapshotBuild'];

export type Release = S['Release'];
export type ReleaseList = S['ReleaseList'];
/** `POST /v1/agent-releases`: the body. */
export type PublishReleaseBody = NonNullable<operations['publishAgentRelease']['requestBody']>['content']['application/json'];
export type ReconcileReport = S['ReconcileReport'];

export type InstanceStatus = S['InstanceStatus'];
export type AgentStatus = S['AgentStatus'];
export type DoctorCheck = S['DoctorCheck'];
export type DoctorReport = S['DoctorReport'];
export type LogUnit = S['LogUnit'];
export type Logs = S['Logs'];
export type SmokeResult = S['SmokeResult'];
export type RestartResult = S['RestartResult'];
export type ExecResult = S['ExecResult'];
export type AgentUpdateResult = S['AgentUpdateResult'];

export type { FieldError, Problem } from './errors.ts';
