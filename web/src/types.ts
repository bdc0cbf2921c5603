/**
 * The API's shapes as the dashboard uses them: derived from the generated contract
 * (src/api/contract/schema.d.ts, from the server's OpenAPI document), never declared by hand
 * and never imported from the server, so the dashboard depends on the API contract only.
 */
import type * as C from '../../src/api/contract/types.ts';

export type Lifecycle = C.Lifecycle;
export type Step = C.Step;
export type Connection = C.Connection;
export type ProviderName = C.ProviderName;
export type WorkloadKind = C.WorkloadKind;
export type EventKind = C.EventKind;

/** A list that holds every member of the contract's union `T`, in order: a missing one fails to compile. */
const every =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L =>
    list;

export const LIFECYCLE = every<Lifecycle>()(['pending', 'provisioning', 'running', 'hibernating', 'hibernated', 'stopping', 'stopped', 'failed']);
export const STEPS = every<Step>()(['create_server', 'boot', 'enroll', 'network', 'configure', 'workload']);
export const PROVIDERS = every<ProviderName>()(['local', 'hetzner', 'digital-ocean', 'ssh']);
export const WORKLOADS = every<WorkloadKind>()(['process', 'openclaw', 'agent-manager', 'runner-stack', 'compose']);

/** An instance; `currency` is not served yet and is used when present. */
export type Instance = C.Instance & { currency?: string };
export type InstanceEvent = C.InstanceEvent;
export type Page<T> = C.Page<T>;
export type ProviderInfo = C.ProviderInfo;
/** A server type's list price at one location. */
export type Price = C.Price;
/** A size of server a provider offers, with its prices per location. */
export type ServerType = C.ServerType;
/** A place a provider can put a server. */
export type Location = C.Location;
/** A snapshot as GET /v1/snapshots describes it; rendered field by field, other fields tolerated. */
export type SnapshotLike = C.Snapshot & Record<string, unknown>;
export type Plan = C.Plan;
export type FieldError = C.FieldError;
export type Problem = C.Problem;

/**
 * The body of POST /v1/instances as the create form sends it: the fields it always fills are
 * required, and the provider is the form's choice (the API names a wrong one).
 */
export type CreateInstanceBody = Omit<C.CreateInstanceBody, 'provider'> & Required<Pick<C.CreateInstanceBody, 'workload' | 'config' | 'tailscale' | 'onFailure'>> & { provider: string };

/** The query of GET /v1/instances (`status`: one lifecycle status, or several joined by commas). */
export type InstanceQuery = Omit<C.InstanceQuery, 'provider'> & { provider?: string };

export type Project = C.components['schemas']['Project'];
export type ApiKeyInfo = C.components['schemas']['ApiKeyInfo'];
export type ApiKeyCreated = C.components['schemas']['ApiKeyCreated'];
