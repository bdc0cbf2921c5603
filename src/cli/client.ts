import { body, createApiClient, NetworkError, type ApiClient } from '../api/contract/index.ts';
import type { CreateInstanceBody, Instance, InstanceEvent, InstanceQuery, LogUnit, Page, Plan, ProviderName, RegisterSshHostBody } from '../api/contract/types.ts';
import { followEvents, type FollowOptions } from './follow-events.ts';

/** PUT /v1/pools/{name}'s body. */
export type PutPoolBody = { provider: 'local' | 'hetzner' | 'digital-ocean'; serverType?: string | null; location?: string | null; workload: 'process' | 'openclaw' | 'agent-manager' | 'runner-stack' | 'compose'; ready: number };

export interface ClientOptions {
  url: string;
  apiKey: string;
  /** The project to act in (sent as X-Hangar-Project); none: the key's own, or `default` for an admin. */
  project?: string;
  fetch?: typeof fetch;
  /** Per-request timeout for non-streaming calls, ms. */
  timeoutMs?: number;
}

type Cloud = 'hetzner' | 'digital-ocean';
/** `GET /v1/instances`: a provider name is passed on as given (the server names a wrong one). */
type ListQuery = Omit<InstanceQuery, 'provider'> & { provider?: string };
const isPlan = (x: Plan | Instance): x is Plan => 'dryRun' in x && x.dryRun === true;

/**
 * The CLI's calls, each one API operation over the generated contract (no server code): a
 * timeout per call (a {@link NetworkError} when it passes), problem details as ApiError.
 *
 * @example
 * const api = new HangarClient({ url: 'http://127.0.0.1:7070', apiKey: 'hgr_…' });
 * const inst = await api.createInstance({ provider: 'local' });
 * for await (const e of api.followEvents(inst.id)) console.log(e.kind, e.reason);
 */
export class HangarClient {
  readonly url: string;
  readonly api: ApiClient;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const fetchFn = opts.fetch;
    this.api = createApiClient({ baseUrl: this.url, apiKey: opts.apiKey, project: opts.project, ...(fetchFn ? { fetch: (r: Request) => fetchFn(r) } : {}) });
  }

  listInstances(query: ListQuery = {}) {
    return this.call((signal) => this.api.GET('/v1/instances', { params: { query: { ...query, provider: query.provider as ProviderName | undefined } }, signal }));
  }

  /** Every page, following `nextCursor`. */
  async listAllInstances(q: Omit<ListQuery, 'cursor'> = {}): Promise<Instance[]> {
    const all: Instance[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listInstances({ ...q, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  getInstance(id: string) {
    return this.call((signal) => this.api.GET('/v1/instances/{id}', { params: { path: { id } }, signal }));
  }

  async createInstance(json: CreateInstanceBody, opts: { idempotencyKey?: string } = {}): Promise<Instance> {
    const r = await this.call((signal) => this.api.POST('/v1/instances', { params: { header: { 'Idempotency-Key': opts.idempotencyKey } }, body: json, signal }));
    if (isPlan(r)) throw new Error('the server answered a create with a plan');
    return r;
  }

  async planInstance(json: CreateInstanceBody): Promise<Plan> {
    const r = await this.call((signal) => this.api.POST('/v1/instances', { params: { query: { dryRun: 'true' } }, body: json, signal }));
    if (!isPlan(r)) throw new Error('the server answered a dry run with an instance');
    return r;
  }

  stopInstance(id: string, keepServer: boolean) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/stop', { params: { path: { id } }, body: { keepServer }, signal }));
  }

  startInstance(id: string) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/start', { params: { path: { id } }, signal }));
  }

  extendInstance(id: string, by: string) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/extend', { params: { path: { id } }, body: { by }, signal }));
  }

  deleteInstance(id: string) {
    return this.call((signal) => this.api.DELETE('/v1/instances/{id}', { params: { path: { id } }, signal }));
  }

  /** All stored events after `after`, paging through the JSON endpoint. */
  async events(id: string, after = 0): Promise<InstanceEvent[]> {
    const all: InstanceEvent[] = [];
    let cursor: string | null = String(after);
    while (cursor !== null) {
      const from: number = Number(cursor);
      const page: Page<InstanceEvent> = await this.call((signal) => this.api.GET('/v1/instances/{id}/events', { params: { path: { id }, query: { after: from, limit: 1000 } }, signal }));
      all.push(...page.items);
      cursor = page.items.length ? page.nextCursor : null;
    }
    return all;
  }

  listHosts() {
    return this.call((signal) => this.api.GET('/v1/ssh-hosts', { signal }));
  }

  addHost(json: RegisterSshHostBody, probe: boolean) {
    return this.call((signal) => this.api.POST('/v1/ssh-hosts', { params: { query: probe ? { probe: 'true' } : {} }, body: json, signal }));
  }

  async removeHost(ref: string, force: boolean): Promise<void> {
    await this.call((signal) => this.api.DELETE('/v1/ssh-hosts/{ref}', { params: { path: { ref }, query: force ? { force: 'true' } : {} }, signal }));
  }

  listPools() {
    return this.call((signal) => this.api.GET('/v1/pools', { signal }));
  }

  putPool(name: string, json: PutPoolBody) {
    return this.call((signal) => this.api.PUT('/v1/pools/{name}', { params: { path: { name } }, body: json, signal }));
  }

  async removePool(name: string): Promise<void> {
    await this.call((signal) => this.api.DELETE('/v1/pools/{name}', { params: { path: { name } }, signal }));
  }

  apiBudget() {
    return this.call((signal) => this.api.GET('/v1/api-budget', { signal }));
  }

  listReleases() {
    return this.call((signal) => this.api.GET('/v1/agent-releases', { signal }));
  }

  publishRelease(json: { version: string; bundle: string; signature: string; notes?: string }) {
    return this.call((signal) => this.api.POST('/v1/agent-releases', { body: json, signal }));
  }

  approveRelease(version: string, canaryPercent?: number, allowDowngrade?: boolean) {
    const json = { ...(canaryPercent ? { canaryPercent } : {}), ...(allowDowngrade ? { allowDowngrade: true } : {}) };
    return this.call((signal) => this.api.POST('/v1/agent-releases/{version}/approve', { params: { path: { version } }, body: json, signal }));
  }

  revokeRelease(version: string) {
    return this.call((signal) => this.api.POST('/v1/agent-releases/{version}/revoke', { params: { path: { version } }, signal }));
  }

  /** Ask one agent to check for an approved release now. */
  agentUpdate(id: string) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/agent-update', { params: { path: { id } }, signal }));
  }

  // ── snapshots (the provider is passed on as given: the server names a wrong one) ──
  buildSnapshot(json: { provider: string; location?: string }) {
    return this.call((signal) => this.api.POST('/v1/snapshots', { body: { ...json, provider: json.provider as Cloud }, signal }));
  }

  getSnapshotBuild(id: string) {
    return this.call((signal) => this.api.GET('/v1/snapshot-builds/{id}', { params: { path: { id } }, signal }));
  }

  listSnapshots(provider?: string) {
    return this.call((signal) => this.api.GET('/v1/snapshots', { params: { query: { provider: provider as Cloud | undefined } }, signal }));
  }

  async deleteSnapshot(provider: string, id: string): Promise<void> {
    await this.call((signal) => this.api.DELETE('/v1/snapshots/{provider}/{id}', { params: { path: { provider: provider as Cloud, id } }, signal }));
  }

  pruneSnapshots(provider?: string) {
    return this.call((signal) => this.api.POST('/v1/snapshots/prune', { params: { query: { provider: provider as Cloud | undefined } }, signal }));
  }

  // ── operating agents ──────────────────────────────────────────────────────
  instanceStatus(id: string) {
    return this.call((signal) => this.api.GET('/v1/instances/{id}/status', { params: { path: { id } }, signal }));
  }

  doctor(id: string) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/doctor', { params: { path: { id } }, signal }));
  }

  logs(id: string, query: { unit?: LogUnit; lines?: number } = {}) {
    return this.call((signal) => this.api.GET('/v1/instances/{id}/logs', { params: { path: { id }, query }, signal }));
  }

  smoke(id: string) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/smoke', { params: { path: { id } }, signal }));
  }

  restart(id: string, json: { target?: 'workload' | 'agent'; timeoutSeconds?: number } = {}) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/restart', { params: { path: { id } }, body: json, signal }));
  }

  exec(id: string, json: { argv: string[]; timeoutSeconds?: number }) {
    return this.call((signal) => this.api.POST('/v1/instances/{id}/exec', { params: { path: { id } }, body: json, signal }));
  }

  /** The Ansible dynamic inventory of the caller's project. */
  inventory() {
    return this.call((signal) => this.api.GET('/v1/inventory', { signal }));
  }

  reconcile() {
    return this.call((signal) => this.api.POST('/v1/reconcile', { signal }));
  }

  // ── providers (a name is passed on as given: the server says which are configured) ──
  listProviders() {
    return this.call((signal) => this.api.GET('/v1/providers', { signal }));
  }

  serverTypes(provider: string) {
    return this.call((signal) => this.api.GET('/v1/providers/{provider}/server-types', { params: { path: { provider: provider as ProviderName } }, signal }));
  }

  locations(provider: string) {
    return this.call((signal) => this.api.GET('/v1/providers/{provider}/locations', { params: { path: { provider: provider as ProviderName } }, signal }));
  }

  /**
   * Follow an instance's events over SSE: replays everything after `after`, then streams live,
   * reconnecting with `Last-Event-ID` (see {@link followEvents}).
   */
  followEvents(id: string, opts: FollowOptions = {}): AsyncGenerator<InstanceEvent> {
    return followEvents(this.api, this.url, id, opts);
  }

  /** One call with this client's timeout: a call that outlasts it is a {@link NetworkError}. */
  private async call<T>(fn: (signal: AbortSignal) => Promise<{ data?: T; response: Response }>): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await body(fn(signal));
    } catch (err) {
      if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError') throw new NetworkError(this.url, `no answer within ${Math.round(this.timeoutMs / 1000)}s`);
      throw err;
    }
  }
}
