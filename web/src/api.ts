/**
 * The dashboard's one door to the Hangar API: every HTTP call goes through this module (the
 * layer test checks it). Each function is one API operation, named after its OpenAPI
 * `operationId`, and returns the shapes of types.ts; errors are ApiError (RFC 9457 problem
 * details). A generated client can replace the internals without touching any page.
 */
import { session } from './session.ts';
import { readFrames } from './sse.ts';
import type { CreateInstanceBody, Instance, InstanceEvent, InstanceQuery, Location, Page, Plan, Problem, ProviderInfo, ServerType, SnapshotLike } from './types.ts';

/** An HTTP error from the API, carrying its RFC 9457 problem details when it sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get fieldErrors() {
    return this.problem?.errors ?? [];
  }
}

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

/** Whether `err` is a cancelled request (an AbortSignal fired). */
export const isAbort = (err: unknown): boolean => (err as Error)?.name === 'AbortError';

/** Options every read accepts. */
export interface CallOptions {
  signal?: AbortSignal;
}

interface RequestOptions extends CallOptions {
  body?: unknown;
  /** Use this key instead of the session's (sign-in check). */
  key?: string;
  /** Don't broadcast a 401 (sign-in check, public documents). */
  quiet401?: boolean;
  headers?: Record<string, string>;
}

/** Call the API with the session's bearer key; JSON in and out; throws ApiError on any non-2xx. */
async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const key = opts.key ?? session.get();
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (key) headers.authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal, cache: 'no-store' });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, null, 'Cannot reach the Hangar server. Is it running?');
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const problem = json && typeof json === 'object' && 'status' in json ? (json as Problem) : null;
    const err = new ApiError(res.status, problem, problem?.detail ?? `${res.status} ${res.statusText}`);
    if (res.status === 401 && !opts.quiet401) notifyUnauthorized(err);
    throw err;
  }
  return json as T;
}

const enc = encodeURIComponent;
const refreshed = (path: string, refresh?: boolean) => (refresh ? `${path}?refresh=true` : path);

/** Check an API key before keeping it (a 401 here is not broadcast). @example await checkApiKey('hgr_…') */
export async function checkApiKey(key: string): Promise<void> {
  await request('GET', '/v1/instances?limit=1', { key, quiet401: true });
}

/** GET /v1/instances: a page of instances, newest first. @example (await listInstances({ status: 'running' })).items */
export function listInstances(query: InstanceQuery = {}, opts: CallOptions = {}): Promise<Page<Instance>> {
  const q = new URLSearchParams();
  if (query.limit !== undefined) q.set('limit', String(query.limit));
  if (query.status) q.set('status', query.status);
  if (query.provider) q.set('provider', query.provider);
  if (query.cursor) q.set('cursor', query.cursor);
  const qs = q.toString();
  return request('GET', qs ? `/v1/instances?${qs}` : '/v1/instances', opts);
}

/** GET /v1/instances/{id}. @example const row = await getInstance(id) */
export function getInstance(id: string, opts: CallOptions = {}): Promise<Instance> {
  return request('GET', `/v1/instances/${enc(id)}`, opts);
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
export function createInstance(body: CreateInstanceBody, opts: { dryRun?: boolean; idempotencyKey?: string } = {}): Promise<Plan | Instance> {
  if (opts.dryRun) return request('POST', '/v1/instances?dryRun=true', { body });
  return request('POST', '/v1/instances', { body, headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined });
}

/** DELETE /v1/instances/{id}: the row, now stopping. @example const row = await destroyInstance(id) */
export function destroyInstance(id: string): Promise<Instance> {
  return request('DELETE', `/v1/instances/${enc(id)}`);
}

/** GET /v1/instances/{id}/events: its log after event id `after`, oldest first. @example await instanceEvents(id, 0) */
export function instanceEvents(id: string, after: number, opts: CallOptions & { limit?: number } = {}): Promise<Page<InstanceEvent>> {
  return request('GET', `/v1/instances/${enc(id)}/events?after=${after}&limit=${opts.limit ?? 1000}`, opts);
}

/** GET /v1/events (JSON): every instance's events after `after`, oldest first. @example await allEvents(0, 1) */
export function allEvents(after: number, limit: number, opts: CallOptions = {}): Promise<Page<InstanceEvent>> {
  return request('GET', `/v1/events?after=${after}&limit=${limit}`, opts);
}

/** GET /v1/providers: the configured providers. @example (await listProviders()).map((p) => p.name) */
export async function listProviders(opts: { refresh?: boolean } = {}): Promise<ProviderInfo[]> {
  return (await request<{ items: ProviderInfo[] }>('GET', refreshed('/v1/providers', opts.refresh))).items;
}

/** GET /v1/providers/{provider}/locations (`refresh`: the server refetches). @example await listLocations('hetzner') */
export async function listLocations(provider: string, opts: { refresh?: boolean } = {}): Promise<Location[]> {
  return (await request<{ items: Location[] }>('GET', refreshed(`/v1/providers/${enc(provider)}/locations`, opts.refresh))).items;
}

/** GET /v1/providers/{provider}/server-types, with prices. @example await listServerTypes('local') */
export async function listServerTypes(provider: string, opts: { refresh?: boolean } = {}): Promise<ServerType[]> {
  return (await request<{ items: ServerType[] }>('GET', refreshed(`/v1/providers/${enc(provider)}/server-types`, opts.refresh))).items;
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
    const doc = await request<{ paths?: Record<string, { get?: unknown }> }>('GET', '/openapi.json', { quiet401: true });
    return Object.keys(doc?.paths ?? {}).some((p) => /^\/v1\/snapshots\/?$/.test(p) && doc.paths?.[p]?.get);
  } catch {
    return false;
  }
}

/** GET /v1/snapshots: the snapshots this installation built. @example (await listSnapshots()).length */
export async function listSnapshots(): Promise<SnapshotLike[]> {
  return (await request<{ items?: SnapshotLike[] }>('GET', '/v1/snapshots')).items ?? [];
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
        const key = session.get();
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (key) headers.authorization = `Bearer ${key}`;
        if (lastId) headers['last-event-id'] = String(lastId);
        const res = await fetch('/v1/events', { headers, signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401) {
          notifyUnauthorized(new ApiError(401, null, 'API key rejected'));
          break;
        }
        if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
        state('open');
        backoff = 500;
        await readFrames(res.body, (frame) => {
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
