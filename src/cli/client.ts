import type { z } from 'zod';
import type { CreateInstance, Instance as InstanceSchema, InstanceEvent as InstanceEventSchema, Problem as ProblemSchema } from '../api/schemas.ts';
import type { ReconcileReport } from '../engine/reconciler.ts';
import type { Location, ServerType } from '../providers/types.ts';
import { SseParser } from './sse.ts';

/** The API's own shapes (type-only imports: the CLI loads none of the server's code). */
export type Instance = z.infer<typeof InstanceSchema>;
export type InstanceEvent = z.infer<typeof InstanceEventSchema>;
export type Problem = z.infer<typeof ProblemSchema>;
export type CreateInstanceBody = Partial<z.input<typeof CreateInstance>> & { provider: string };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface ProviderInfo {
  name: string;
  userDataLimit: number;
}
/** The catalogue's shapes, as the API serves them. */
export type ServerTypeInfo = ServerType;
export type LocationInfo = Location;
export interface HostInfo {
  id: string;
  name: string;
  address: string;
  port: number;
  user: string;
  state: string;
  serverName: string | null;
  hostKey: string | null;
  hostKeyTrust: 'pinned' | 'tofu';
}
/** A snapshot this installation built (`current`: made for the server's bootstrap version). */
export interface SnapshotInfo {
  id: string;
  name: string;
  provider: string;
  bootstrapVersion: string | null;
  createdAt: string | null;
  sizeGb: number | null;
  current: boolean;
}
export interface SnapshotBuildInfo {
  id: string;
  provider: string;
  location: string | null;
  status: 'pending' | 'building' | 'imaging' | 'done' | 'failed';
  bootstrapVersion: string;
  serverId: string | null;
  imageId: string | null;
  error: string | null;
  events: { at: string; status: string; message: string }[];
}
export type Plan = Record<string, unknown> & { dryRun: true; steps: string[]; userData: string };
/** A signed agent release as the API shows it. */
export type ReleaseInfo = import('../engine/releases.ts').ReleaseInfo;

export type LogUnit = 'agent' | 'bootstrap' | 'workload';
export interface DoctorCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}
export interface DoctorReport {
  status: 'pass' | 'warn' | 'fail';
  checks: DoctorCheck[];
}
export interface AgentStatus {
  version: string;
  pid: number;
  uptimeSeconds: number;
  hostname: string;
  node: string;
  platform: string;
  workload: { kind: string; healthy: boolean | null; detail: string | null; checkedAt: string | null; pid: number | null };
  connection: { hubUrl: string; connected: boolean; since: string | null; reconnects: number };
  tailnetName: string | null;
  execEnabled: boolean;
}
export interface InstanceStatus {
  id: string;
  name: string;
  status: string;
  step: string | null;
  connection: string;
  lastHeartbeatAt: string | null;
  agentVersion: string | null;
  workloadHealthy: boolean | null;
  tailnetName: string | null;
  execEnabled: boolean;
  /** The latest smoke test (manual or timed), from its event; null if none ran. */
  lastSmoke?: { result: 'pass' | 'fail'; detail: string | null; at: string; actor: string } | null;
  agent: AgentStatus | null;
  agentError?: string;
}
export interface SmokeResult {
  result: 'pass' | 'fail';
  kind: 'smoke' | 'health';
  detail: string;
  durationMs: number;
}
export interface RestartResult {
  target: 'workload' | 'agent';
  restarted: 'workload' | 'agent';
  healthy?: boolean;
  detail?: string;
  note?: string;
  pidBefore?: number | null;
  pidAfter?: number | null;
  durationMs?: number;
  /** An agent restart: the supervisor's new agent connected again (after `waitedMs`). */
  reconnected?: boolean;
  waitedMs?: number;
}
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
}

/** The API answered with problem details (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  constructor(
    readonly url: string,
    readonly causeText: string,
  ) {
    super(`cannot reach Hangar at ${url} (${causeText})`);
  }
}

export interface ClientOptions {
  url: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per-request timeout for non-streaming calls, ms. */
  timeoutMs?: number;
}

export interface FollowOptions {
  /** Resume after this event id (0: from the first event). */
  after?: number;
  signal?: AbortSignal;
  /** Reconnect delay when the server sets none, ms. */
  retryMs?: number;
  /** Give up after this many reconnects in a row that could not connect. */
  maxRetries?: number;
  /** Abort and reconnect a stream that has been silent this long (the server pings every 15 s), ms. */
  idleMs?: number;
  /** Called before each reconnect, e.g. to tell the user. */
  onReconnect?: (attempt: number, err: Error) => void;
}

/**
 * A typed client for the Hangar HTTP API.
 *
 * @example
 * const api = new HangarClient({ url: 'http://127.0.0.1:7070', apiKey: 'hgr_…' });
 * const inst = await api.createInstance({ provider: 'local' });
 * for await (const e of api.followEvents(inst.id)) console.log(e.kind, e.reason);
 */
export class HangarClient {
  readonly url: string;
  private readonly apiKey: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.fetchFn = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  listInstances(q: { limit?: number; cursor?: string; status?: string; provider?: string } = {}): Promise<Page<Instance>> {
    return this.request('GET', `/v1/instances${query(q)}`);
  }

  /** Every page, following `nextCursor`. */
  async listAllInstances(q: { limit?: number; status?: string; provider?: string } = {}): Promise<Instance[]> {
    const all: Instance[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listInstances({ ...q, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  getInstance(id: string): Promise<Instance> {
    return this.request('GET', `/v1/instances/${encodeURIComponent(id)}`);
  }

  createInstance(body: CreateInstanceBody, opts: { idempotencyKey?: string } = {}): Promise<Instance> {
    return this.request('POST', '/v1/instances', body, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {});
  }

  planInstance(body: CreateInstanceBody): Promise<Plan> {
    return this.request('POST', '/v1/instances?dryRun=true', body);
  }

  deleteInstance(id: string): Promise<Instance> {
    return this.request('DELETE', `/v1/instances/${encodeURIComponent(id)}`);
  }

  /** All stored events after `after`, paging through the JSON endpoint. */
  async events(id: string, after = 0): Promise<InstanceEvent[]> {
    const all: InstanceEvent[] = [];
    let cursor: string | null = String(after);
    while (cursor !== null) {
      const page: Page<InstanceEvent> = await this.request('GET', `/v1/instances/${encodeURIComponent(id)}/events${query({ after: cursor, limit: 1000 })}`);
      all.push(...page.items);
      cursor = page.items.length ? page.nextCursor : null;
    }
    return all;
  }

  listHosts(): Promise<{ items: HostInfo[] }> {
    return this.request('GET', '/v1/ssh-hosts');
  }

  addHost(body: Record<string, unknown>, probe: boolean): Promise<HostInfo> {
    return this.request('POST', `/v1/ssh-hosts${probe ? '?probe=true' : ''}`, body);
  }

  async removeHost(ref: string, force: boolean): Promise<void> {
    await this.request('DELETE', `/v1/ssh-hosts/${encodeURIComponent(ref)}${force ? '?force=true' : ''}`);
  }

  listReleases(): Promise<{ items: ReleaseInfo[]; trustedKeys: number }> {
    return this.request('GET', '/v1/agent-releases');
  }

  publishRelease(body: { version: string; bundle: string; signature: string; notes?: string }): Promise<ReleaseInfo> {
    return this.request('POST', '/v1/agent-releases', body);
  }

  approveRelease(version: string, canaryPercent?: number, allowDowngrade?: boolean): Promise<ReleaseInfo> {
    return this.request('POST', `/v1/agent-releases/${encodeURIComponent(version)}/approve`, { ...(canaryPercent ? { canaryPercent } : {}), ...(allowDowngrade ? { allowDowngrade: true } : {}) });
  }

  revokeRelease(version: string): Promise<ReleaseInfo> {
    return this.request('POST', `/v1/agent-releases/${encodeURIComponent(version)}/revoke`, {});
  }

  /** Ask one agent to check for an approved release now. */
  agentUpdate(id: string): Promise<{ ok: boolean; data?: { staged: boolean; detail: string }; error?: string }> {
    return this.request('POST', `/v1/instances/${encodeURIComponent(id)}/agent-update`, {});
  }

  buildSnapshot(body: { provider: string; location?: string }): Promise<SnapshotBuildInfo> {
    return this.request('POST', '/v1/snapshots', body);
  }

  getSnapshotBuild(id: string): Promise<SnapshotBuildInfo> {
    return this.request('GET', `/v1/snapshot-builds/${encodeURIComponent(id)}`);
  }

  listSnapshots(provider?: string): Promise<{ items: SnapshotInfo[] }> {
    return this.request('GET', `/v1/snapshots${provider ? `?provider=${encodeURIComponent(provider)}` : ''}`);
  }

  async deleteSnapshot(provider: string, id: string): Promise<void> {
    await this.request('DELETE', `/v1/snapshots/${encodeURIComponent(provider)}/${encodeURIComponent(id)}`);
  }

  pruneSnapshots(provider?: string): Promise<{ deleted: SnapshotInfo[]; kept: SnapshotInfo[] }> {
    return this.request('POST', `/v1/snapshots/prune${provider ? `?provider=${encodeURIComponent(provider)}` : ''}`);
  }

  // ── operating agents ──────────────────────────────────────────────────────
  instanceStatus(id: string): Promise<InstanceStatus> {
    return this.request('GET', `/v1/instances/${encodeURIComponent(id)}/status`);
  }

  doctor(id: string): Promise<DoctorReport> {
    return this.request('POST', `/v1/instances/${encodeURIComponent(id)}/doctor`);
  }

  logs(id: string, q: { unit?: LogUnit; lines?: number } = {}): Promise<{ unit: LogUnit; lines: string[] }> {
    return this.request('GET', `/v1/instances/${encodeURIComponent(id)}/logs${query(q)}`);
  }

  smoke(id: string): Promise<SmokeResult> {
    return this.request('POST', `/v1/instances/${encodeURIComponent(id)}/smoke`);
  }

  restart(id: string, body: { target?: 'workload' | 'agent'; timeoutSeconds?: number } = {}): Promise<RestartResult> {
    return this.request('POST', `/v1/instances/${encodeURIComponent(id)}/restart`, body);
  }

  exec(id: string, body: { argv: string[]; timeoutSeconds?: number }): Promise<ExecResult> {
    return this.request('POST', `/v1/instances/${encodeURIComponent(id)}/exec`, body);
  }

  reconcile(): Promise<ReconcileReport> {
    return this.request('POST', '/v1/reconcile');
  }

  listProviders(): Promise<{ items: ProviderInfo[] }> {
    return this.request('GET', '/v1/providers');
  }

  serverTypes(provider: string): Promise<{ items: ServerTypeInfo[] }> {
    return this.request('GET', `/v1/providers/${encodeURIComponent(provider)}/server-types`);
  }

  locations(provider: string): Promise<{ items: LocationInfo[] }> {
    return this.request('GET', `/v1/providers/${encodeURIComponent(provider)}/locations`);
  }

  /**
   * Follow an instance's events over SSE: replays everything after `after`, then streams live.
   * If the stream drops (or goes silent past `idleMs`), it reconnects with `Last-Event-ID`, so no
   * event is lost or repeated. Ends only when the caller stops iterating or `signal` aborts.
   */
  async *followEvents(id: string, opts: FollowOptions = {}): AsyncGenerator<InstanceEvent> {
    let lastId = opts.after ?? 0;
    let retryMs = opts.retryMs ?? 1000;
    const maxRetries = opts.maxRetries ?? 10;
    const idleMs = opts.idleMs ?? 45_000;
    let failures = 0;
    for (;;) {
      if (opts.signal?.aborted) return;
      const conn = new AbortController();
      const onAbort = () => conn.abort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => conn.abort(new Error(`no data for ${Math.round(idleMs / 1000)}s`)), idleMs);
      };
      let dropped: Error;
      try {
        arm();
        const res = await this.send('GET', `/v1/instances/${encodeURIComponent(id)}/events`, undefined, { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': String(lastId) } : {}) }, conn.signal);
        if (!res.body) throw new Error('empty response body');
        failures = 0; // connected: count only reconnects that fail to connect
        const parser = new SseParser();
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            arm();
            for (const msg of parser.push(decoder.decode(value, { stream: true }))) {
              if (msg.retry !== undefined) retryMs = msg.retry;
              let event: InstanceEvent;
              try {
                event = JSON.parse(msg.data) as InstanceEvent;
              } catch {
                continue; // not one of ours
              }
              if (typeof event.id === 'number' && event.id <= lastId) continue;
              lastId = typeof event.id === 'number' ? event.id : Number(msg.id) || lastId;
              yield event;
            }
          }
        } finally {
          reader.cancel().catch(() => {});
        }
        dropped = new Error('stream ended');
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof ApiError && err.status < 500) throw err; // 401, 404…: reconnecting will not help
        dropped = conn.signal.aborted && conn.signal.reason instanceof Error ? conn.signal.reason : (err as Error);
      } finally {
        clearTimeout(idle);
        opts.signal?.removeEventListener('abort', onAbort);
        conn.abort();
      }
      failures++;
      if (failures > maxRetries) throw dropped instanceof NetworkError ? dropped : new NetworkError(this.url, `event stream lost: ${dropped.message}`);
      opts.onReconnect?.(failures, dropped);
      await sleep(Math.min(retryMs * failures, 10_000), opts.signal);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const res = await this.send(method, path, body, { accept: 'application/json', ...headers }, signal);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : null) as T;
    } catch {
      throw new ApiError(res.status, { type: 'about:blank', title: 'Bad response', status: res.status, detail: `the server at ${this.url} did not answer with JSON (is this a Hangar server?)` });
    }
  }

  /** One HTTP exchange; non-2xx answers become {@link ApiError}, transport failures {@link NetworkError}. */
  private async send(method: string, path: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal,
      });
    } catch (err) {
      if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError') throw new NetworkError(this.url, `no answer within ${Math.round(this.timeoutMs / 1000)}s`);
      if (signal.aborted) throw err;
      throw new NetworkError(this.url, causeOf(err));
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let problem: Problem;
    try {
      const j = JSON.parse(text) as Partial<Problem>;
      problem = { type: j.type ?? 'about:blank', title: j.title ?? res.statusText, status: j.status ?? res.status, detail: j.detail ?? j.title ?? `HTTP ${res.status}`, ...(j.errors ? { errors: j.errors } : {}) };
    } catch {
      problem = { type: 'about:blank', title: res.statusText, status: res.status, detail: `HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}` };
    }
    throw new ApiError(res.status, problem);
  }
}

function query(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
