/**
 * The dashboard's one door to the Hangar API: every HTTP call goes through this module (the
 * layer test checks it), over the typed client of the API contract (src/api/contract, generated
 * from the server's OpenAPI document). Each function is one API operation, named after its
 * `operationId`, and returns the shapes of types.ts; errors are ApiError (RFC 9457 problem
 * details).
 */
import { ApiError, body, createApiClient, isAbort, NetworkError } from '../../src/api/contract/index.ts';
import type { components, operations } from '../../src/api/contract/types.ts';
import { session } from './session.ts';
import { readFrames } from './sse.ts';
import type { ApiKeyCreated, ApiKeyInfo, Project } from './types.ts';
import type { CreateInstanceBody, Instance, InstanceEvent, InstanceQuery, Location, Page, Plan, ProviderInfo, ProviderName, ServerType, SnapshotLike } from './types.ts';

export { ApiError, isAbort };

type UnauthorizedListener = (err: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/**
 * Called whenever the API answers 401 to the stored key (the app signs out).
 *
 * @example
 * const off = onUnauthorized(() => signOut());
 */
export function onUnauthorized(fn: UnauthorizedListener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

function notifyUnauthorized(err: ApiError): void {
  for (const fn of unauthorizedListeners) fn(err);
}

/** Options every read accepts. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The page's own origin (a fixed one where there is no page, as in unit tests). */
const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin;
const api = createApiClient({ baseUrl: origin, apiKey: () => session.get(), project: () => session.project(), init: { cache: 'no-store' } });

/**
 * One call: its body, or an ApiError (a 401 to the session's key is broadcast unless `quiet401`;
 * an unreachable server is status 0). A cancelled call rejects with its AbortError.
 */
async function call<T>(request: Promise<{ data?: T; response: Response }>, opts: { quiet401?: boolean } = {}): Promise<T> {
  try {
    return await body(request);
  } catch (err) {
    if (err instanceof NetworkError) throw new ApiError(0, null, 'Cannot reach the Hangar server. Is it running?');
    if (err instanceof ApiError && err.status === 401 && !opts.quiet401) notifyUnauthorized(err);
    throw err;
  }
}

/** The provider in a path, as the page chose it (the API says when it is not configured). */
const providerParam = (provider: string) => ({ path: { provider: provider as ProviderName } });
const refreshQuery = (refresh?: boolean) => ({ query: refresh ? { refresh: 'true' as const } : {} });

/** Check an API key before keeping it (a 401 here is not broadcast). @example await checkApiKey('hgr_…') */
export async function checkApiKey(key: string): Promise<void> {
  await call(api.GET('/v1/instances', { params: { query: { limit: 1 } }, headers: { authorization: `Bearer ${key}` } }), { quiet401: true });
}

/** GET /v1/projects: the projects this key may act in. @example (await listProjects()).map((p) => p.name) */
export async function listProjects(opts: CallOptions = {}): Promise<Project[]> {
  return (await call(api.GET('/v1/projects', { signal: opts.signal }))).items;
}

/** GET /v1/keys: the project's keys (never the keys themselves). @example await listKeys() */
export async function listKeys(opts: CallOptions = {}): Promise<ApiKeyInfo[]> {
  return (await call(api.GET('/v1/keys', { signal: opts.signal }))).items;
}

/** POST /v1/keys: mint a key; the answer holds the key, this once. @example (await createKey({ name: 'ci', role: 'operator' })).key */
export function createKey(json: { name: string; role: ApiKeyInfo['role']; expiresInSeconds?: number }): Promise<ApiKeyCreated> {
  return call(api.POST('/v1/keys', { body: json }));
}

/** DELETE /v1/keys/{id}: revoke a key. @example await revokeKey(id) */
export async function revokeKey(id: string): Promise<void> {
  await call(api.DELETE('/v1/keys/{id}', { params: { path: { id } }, parseAs: 'text' }));
}

/** GET /v1/instances: a page of instances, newest first. @example (await listInstances({ status: 'running' })).items */
export function listInstances(query: InstanceQuery = {}, opts: CallOptions = {}): Promise<Page<Instance>> {
  return call(api.GET('/v1/instances', { params: { query: { ...query, provider: query.provider as ProviderName | undefined } }, signal: opts.signal }));
}

/** GET /v1/instances/{id}. @example const row = await getInstance(id) */
export function getInstance(id: string, opts: CallOptions = {}): Promise<Instance> {
  return call(api.GET('/v1/instances/{id}', { params: { path: { id } }, signal: opts.signal }));
}

/**
 * POST /v1/instances: create (with an Idempotency-Key, so a retry creates nothing twice), or
 * with `dryRun` the plan and its redacted user-data.
 *
 * @example
 * const plan = await createInstance(body, { dryRun: true });
 * const row = await createInstance(body, { idempotencyKey: key });
 */
export function createInstance(body: CreateInstanceBody, opts: { dryRun: true }): Promise<Plan>;
export function createInstance(body: CreateInstanceBody, opts?: { dryRun?: false; idempotencyKey?: string }): Promise<Instance>;
export function createInstance(json: CreateInstanceBody, opts: { dryRun?: boolean; idempotencyKey?: string } = {}): Promise<Plan | Instance> {
  const sent = { ...json, provider: json.provider as ProviderName };
  if (opts.dryRun) return call(api.POST('/v1/instances', { params: { query: { dryRun: 'true' } }, body: sent }));
  return call(api.POST('/v1/instances', { params: { header: { 'Idempotency-Key': opts.idempotencyKey } }, body: sent }));
}

/** DELETE /v1/instances/{id}: the row, now stopping. @example const row = await destroyInstance(id) */
export function destroyInstance(id: string): Promise<Instance> {
  return call(api.DELETE('/v1/instances/{id}', { params: { path: { id } } }));
}

/** GET /v1/instances/{id}/events: its log after event id `after`, oldest first. @example await instanceEvents(id, 0) */
export function instanceEvents(id: string, after: number, opts: CallOptions & { limit?: number } = {}): Promise<Page<InstanceEvent>> {
  return call(api.GET('/v1/instances/{id}/events', { params: { path: { id }, query: { after, limit: opts.limit ?? 1000 } }, signal: opts.signal }));
}

/** GET /v1/events (JSON): every instance's events after `after`, oldest first. @example await allEvents(0, 1) */
export function allEvents(after: number, limit: number, opts: CallOptions = {}): Promise<Page<InstanceEvent>> {
  return call(api.GET('/v1/events', { params: { query: { after, limit } }, signal: opts.signal }));
}

/**
 * GET /v1/providers: the configured providers. The server reads them live, so the operation takes
 * no `refresh` (the option only drops the catalogue's cache). @example (await listProviders()).map((p) => p.name)
 */
export async function listProviders(_opts: { refresh?: boolean } = {}): Promise<ProviderInfo[]> {
  return (await call(api.GET('/v1/providers'))).items;
}

/** GET /v1/providers: the providers this server does not offer, each with what enables it. @example (await listUnconfigured())[0].enable */
export async function listUnconfigured(): Promise<{ name: string; enable: string }[]> {
  return (await call(api.GET('/v1/providers'))).unconfigured;
}

/** GET /v1/providers/{provider}/locations (`refresh`: the server refetches). @example await listLocations('hetzner') */
export async function listLocations(provider: string, opts: { refresh?: boolean } = {}): Promise<Location[]> {
  return (await call(api.GET('/v1/providers/{provider}/locations', { params: { ...providerParam(provider), ...refreshQuery(opts.refresh) } }))).items;
}

/** GET /v1/providers/{provider}/server-types, with prices. @example await listServerTypes('local') */
export async function listServerTypes(provider: string, opts: { refresh?: boolean } = {}): Promise<ServerType[]> {
  return (await call(api.GET('/v1/providers/{provider}/server-types', { params: { ...providerParam(provider), ...refreshQuery(opts.refresh) } }))).items;
}

/**
 * Whether this API lists snapshots (GET /v1/snapshots in its /openapi.json), so no request is
 * made to a route that does not exist. Never throws: an unreadable document means no.
 *
 * @example
 * if (await hasSnapshotListing()) await listSnapshots();
 */
export async function hasSnapshotListing(): Promise<boolean> {
  try {
    const doc = (await call(api.GET('/openapi.json'), { quiet401: true })) as { paths?: Record<string, { get?: unknown }> };
    return Object.keys(doc?.paths ?? {}).some((p) => /^\/v1\/snapshots\/?$/.test(p) && doc.paths?.[p]?.get);
  } catch {
    return false;
  }
}

/** GET /v1/snapshots: the snapshots this installation built. @example (await listSnapshots()).length */
export async function listSnapshots(): Promise<SnapshotLike[]> {
  return (await call(api.GET('/v1/snapshots'))).items ?? [];
}

/** The live stream's state, as followEvents reports it. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface FollowOptions {
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: number;
  onEvent: (e: InstanceEvent) => void;
  onState?: (s: StreamState) => void;
}

/**
 * Follow GET /v1/events over SSE with fetch() and a ReadableStream (EventSource cannot send
 * the Authorization header). Reconnects with backoff, resuming with `Last-Event-ID` so no event
 * is missed or repeated; a 401 signs the session out.
 *
 * @example
 * const s = followEvents({ onEvent: (e) => console.log(e.kind) });
 * s.close();
 */
export function followEvents(opts: FollowOptions): { close(): void } {
  const ctrl = new AbortController();
  let lastId = opts.lastEventId ?? 0;
  let closed = false;
  const state = (s: StreamState) => opts.onState?.(s);

  const run = async () => {
    let backoff = 500;
    state('connecting');
    while (!closed) {
      try {
        const { data: stream } = await api.GET('/v1/events', {
          params: { header: { 'Last-Event-ID': lastId ? String(lastId) : undefined } },
          headers: { accept: 'text/event-stream' },
          parseAs: 'stream',
          signal: ctrl.signal,
        });
        if (!stream) throw new Error('event stream answered without a body');
        state('open');
        backoff = 500;
        await readFrames(stream, (frame) => {
          if (frame.id) lastId = Number(frame.id) || lastId;
          if (!frame.data) return;
          try {
            opts.onEvent(JSON.parse(frame.data) as InstanceEvent);
          } catch (err) {
            // A bad frame or a throwing handler must not kill the stream.
            if (!(err instanceof SyntaxError)) setTimeout(() => { throw err; });
          }
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          notifyUnauthorized(new ApiError(401, err.problem, 'API key rejected'));
          break;
        }
        if (closed || isAbort(err)) break;
      }
      if (closed) break;
      state('reconnecting');
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 15_000);
    }
    state('closed');
  };
  void run();
  return {
    close() {
      closed = true;
      ctrl.abort();
    },
  };
}

/**
 * POST /v1/instances/{id}/tickets: a short-lived link for what a browser cannot open with a bearer
 * header (the terminal WebSocket, the proxied workload UI).
 *
 * @example
 * const { url } = await instanceTicket(id, 'proxy'); window.open(url, '_blank', 'noopener');
 */
export function instanceTicket(id: string, purpose: 'terminal' | 'proxy'): Promise<{ url: string; expiresAt: string }> {
  return call(api.POST('/v1/instances/{id}/tickets', { params: { path: { id } }, body: { purpose } }));
}

/**
 * A shell on the instance's server: a terminal ticket, then the `/ssh` WebSocket it opens (binary
 * messages are terminal bytes; see the README's "Reaching an agent").
 *
 * @example
 * const ws = await openTerminal(id, 80, 24); ws.onmessage = (e) => term.write(…);
 */
export async function openTerminal(id: string, cols: number, rows: number): Promise<WebSocket> {
  const { url } = await instanceTicket(id, 'terminal');
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${url}&cols=${cols}&rows=${rows}`);
  ws.binaryType = 'arraybuffer';
  return ws;
}

/** One audit row (GET /v1/audit). */
export type AuditEntry = NonNullable<Awaited<ReturnType<typeof listAudit>>['items']>[number];
/** The filters of the audit page (GET /v1/audit's query). */
export type AuditFilters = { actor?: string; action?: string; object?: string; cursor?: string };

/** GET /v1/audit: a page of the audit log, newest first. @example (await listAudit({ actor: 'api:admin' })).items */
export function listAudit(filters: AuditFilters, opts: CallOptions = {}) {
  return call(api.GET('/v1/audit', { params: { query: { ...filters, limit: 50 } }, signal: opts.signal }));
}

/** GET /v1/audit?format=jsonl: every matching row as JSON lines (for a download). @example await exportAudit({}) */
export async function exportAudit(filters: AuditFilters): Promise<Blob> {
  const { data } = await api.GET('/v1/audit', { params: { query: { ...filters, format: 'jsonl' } }, parseAs: 'blob' });
  if (!data) throw new ApiError(0, null, 'The audit export answered without a body');
  return data;
}

/** What GET /v1/costs answers: this month's spend, projection, budgets and per-instance costs. */
export type Costs = components['schemas']['Costs'];

/** GET /v1/costs. @example const { budgets, totals } = await getCosts() */
export function getCosts(opts: CallOptions = {}): Promise<Costs> {
  return call(api.GET('/v1/costs', { params: { query: {} }, signal: opts.signal }));
}

/** Webhook endpoints (GET /v1/webhooks), one just created (with its secret, once), a delivery. */
export type WebhookEndpoint = components['schemas']['WebhookEndpoint'];
export type WebhookEndpointCreated = components['schemas']['WebhookEndpointCreated'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type WebhookInput = { url: string; events: string[]; format: WebhookEndpoint['format'] };
type WebhookEvents = operations['createWebhook']['requestBody']['content']['application/json']['events'];
/** GET /v1/webhooks: the project's endpoints (never their secrets). @example await listWebhooks() */
export const listWebhooks = async (opts: CallOptions = {}): Promise<WebhookEndpoint[]> => (await call(api.GET('/v1/webhooks', { signal: opts.signal }))).items;
/** POST /v1/webhooks: add an endpoint; the answer holds its whsec_ secret, this once. @example (await createWebhook({ url, events: ['*'], format: 'standard' })).secret */
export const createWebhook = (json: WebhookInput): Promise<WebhookEndpointCreated> => call(api.POST('/v1/webhooks', { body: { ...json, events: json.events as WebhookEvents } }));
/** DELETE /v1/webhooks/{id}: remove an endpoint and its delivery log. @example await deleteWebhook(id) */
export const deleteWebhook = async (id: string): Promise<void> => void (await call(api.DELETE('/v1/webhooks/{id}', { params: { path: { id } }, parseAs: 'text' })));
/** POST /v1/webhooks/{id}/test: queue a webhook.test delivery. @example await testWebhook(id) */
export const testWebhook = (id: string): Promise<WebhookDelivery> => call(api.POST('/v1/webhooks/{id}/test', { params: { path: { id } } }));
/** GET /v1/webhooks/{id}/deliveries: the delivery log, newest first. @example await listWebhookDeliveries(id) */
export const listWebhookDeliveries = async (id: string, opts: CallOptions = {}): Promise<WebhookDelivery[]> =>
  (await call(api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 50 } }, signal: opts.signal }))).items;
/** POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver: send it again (same webhook-id). @example await redeliverWebhook(id, d.id) */
export const redeliverWebhook = (id: string, deliveryId: string): Promise<WebhookDelivery> => call(api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id, deliveryId } } }));

/** A warm pool (GET /v1/pools), what PUT /v1/pools/{name} takes, and a cloud-API budget bucket. */
export type Pool = components['schemas']['Pool'];
export type PoolInput = { provider: string; serverType?: string | null; location?: string | null; workload: string; ready: number };
export type ApiBudget = components['schemas']['ApiBudget'];
type PoolBody = operations['putPool']['requestBody']['content']['application/json'];
/** GET /v1/pools: the project's warm pools. @example (await listPools()).map((p) => p.name) */
export const listPools = async (opts: CallOptions = {}): Promise<Pool[]> => (await call(api.GET('/v1/pools', { signal: opts.signal }))).items;
/** PUT /v1/pools/{name}: create or change a pool (resumes a paused one). @example await putPool('ci', { provider: 'local', workload: 'process', ready: 1 }) */
export const putPool = (name: string, json: PoolInput): Promise<Pool> =>
  call(api.PUT('/v1/pools/{name}', { params: { path: { name } }, body: { ...json, provider: json.provider as PoolBody['provider'], workload: json.workload as PoolBody['workload'] } }));
/** DELETE /v1/pools/{name}: remove a pool (its unclaimed servers are destroyed). @example await deletePool('ci') */
export const deletePool = async (name: string): Promise<void> => void (await call(api.DELETE('/v1/pools/{name}', { params: { path: { name } }, parseAs: 'text' })));
/** GET /v1/api-budget: the shared cloud-API budget, one bucket per vendor account. @example await listApiBudgets() */
export const listApiBudgets = async (opts: CallOptions = {}): Promise<ApiBudget[]> => (await call(api.GET('/v1/api-budget', { signal: opts.signal }))).items;

/** A registered SSH host (GET /v1/ssh-hosts), with a probe's result once probed, and what registering takes. */
export type SshHost = components['schemas']['SshHost'];
export type SshHostProbed = components['schemas']['SshHostProbed'];
export type SshHostInput = { name: string; address: string; port?: number; user?: string; keyPath?: string };
/** GET /v1/ssh-hosts: the hosts users brought (keys are never returned). @example await listSshHosts() */
export const listSshHosts = async (opts: CallOptions = {}): Promise<SshHost[]> => (await call(api.GET('/v1/ssh-hosts', { signal: opts.signal }))).items;
/** POST /v1/ssh-hosts: register a host (not probed; probe it after). @example await registerSshHost({ name: 'box', address: '10.0.0.5', keyPath: 'box' }) */
export const registerSshHost = (json: SshHostInput): Promise<SshHostProbed> => call(api.POST('/v1/ssh-hosts', { body: json }));
/** POST /v1/ssh-hosts/{ref}/probe: connect and read its fingerprint, OS and architecture. @example (await probeSshHost('box')).probe */
export const probeSshHost = (ref: string): Promise<SshHostProbed> => call(api.POST('/v1/ssh-hosts/{ref}/probe', { params: { path: { ref } } }));
/** DELETE /v1/ssh-hosts/{ref}: unregister (never touches the host). @example await unregisterSshHost('box') */
export const unregisterSshHost = async (ref: string): Promise<void> => void (await call(api.DELETE('/v1/ssh-hosts/{ref}', { params: { path: { ref } }, parseAs: 'text' })));

/** What the instance's ops answer (GET status, POST doctor/smoke/restart/exec, GET logs). */
export type InstanceStatus = components['schemas']['InstanceStatus'];
export type DoctorReport = components['schemas']['DoctorReport'];
export type LogsResult = components['schemas']['Logs'];
export type LogUnit = 'agent' | 'bootstrap' | 'workload';
export type SmokeResult = components['schemas']['SmokeResult'];
export type RestartResult = components['schemas']['RestartResult'];
export type ExecResult = components['schemas']['ExecResult'];

const idPath = (id: string) => ({ params: { path: { id } } });

/** GET /v1/instances/{id}/status: the row's state plus the agent's own report. @example (await instanceStatus(id)).execEnabled */
export function instanceStatus(id: string, opts: CallOptions = {}): Promise<InstanceStatus> {
  return call(api.GET('/v1/instances/{id}/status', { ...idPath(id), signal: opts.signal }));
}

/** POST /v1/instances/{id}/doctor: the agent's checks. @example (await instanceDoctor(id)).checks */
export function instanceDoctor(id: string): Promise<DoctorReport> {
  return call(api.POST('/v1/instances/{id}/doctor', idPath(id)));
}

/** GET /v1/instances/{id}/logs: the last lines of a unit. @example (await instanceLogs(id, 'workload')).lines */
export function instanceLogs(id: string, unit: LogUnit, lines = 200, opts: CallOptions = {}): Promise<LogsResult> {
  return call(api.GET('/v1/instances/{id}/logs', { params: { path: { id }, query: { unit, lines } }, signal: opts.signal }));
}

/** POST /v1/instances/{id}/smoke: run the workload's smoke test now. @example (await instanceSmoke(id)).result */
export function instanceSmoke(id: string): Promise<SmokeResult> {
  return call(api.POST('/v1/instances/{id}/smoke', idPath(id)));
}

/** POST /v1/instances/{id}/restart: restart the workload (or the agent). @example await instanceRestart(id, 'workload') */
export function instanceRestart(id: string, target: 'workload' | 'agent' = 'workload'): Promise<RestartResult> {
  return call(api.POST('/v1/instances/{id}/restart', { ...idPath(id), body: { target } }));
}

/** POST /v1/instances/{id}/exec: run argv on the server (only where exec is enabled). @example (await instanceExec(id, ['uname', '-a'])).stdout */
export function instanceExec(id: string, argv: string[], timeoutSeconds = 30): Promise<ExecResult> {
  return call(api.POST('/v1/instances/{id}/exec', { ...idPath(id), body: { argv, timeoutSeconds } }));
}

/** POST /v1/instances/{id}/stop: hibernate (or power off only, `keepServer`); the row, now hibernating. @example await stopInstance(id, false) */
export function stopInstance(id: string, keepServer = false): Promise<Instance> {
  return call(api.POST('/v1/instances/{id}/stop', { ...idPath(id), body: { keepServer } }));
}

/** POST /v1/instances/{id}/start: start a hibernated instance; the row, now provisioning. @example await startInstance(id) */
export function startInstance(id: string): Promise<Instance> {
  return call(api.POST('/v1/instances/{id}/start', idPath(id)));
}

/** POST /v1/instances/{id}/extend: push the TTL deadline out by a duration ("1h", "8h"). @example (await extendInstance(id, '8h')).expiresAt */
export function extendInstance(id: string, by: string): Promise<Instance> {
  return call(api.POST('/v1/instances/{id}/extend', { ...idPath(id), body: { by } }));
}
