/**
 * Hetzner Cloud provider over the shared REST client. Field names follow Hetzner's OpenAPI
 * description (`specs/hetzner-cloud.openapi.json`): servers are created with `location`
 * (not the deprecated `datacenter`), looked up by `label_selector`, and a name clash answers
 * 409 `uniqueness_error`, which surfaces as a ProviderError with that code so the caller can adopt
 * the existing server.
 *
 * @example
 * const hz = hetznerFromEnv(process.env);
 * const [server] = await hz!.findServers({ labels: instanceLabels(installationId, instanceId) });
 */
import { ProviderError } from '../domain/errors.ts';
import { labelSelector } from '../domain/names.ts';
import { pollAction } from '../http/actions.ts';
import { seg, type FetchLike, type RestClient, type RestClientOptions } from '../http/client.ts';
import { systemClock, type Clock } from '../http/clock.ts';
import { hetznerPages } from '../http/pagination.ts';
import { HETZNER_RATE_LIMIT } from '../http/policies.ts';
import { cloudClient } from './cloud-client.ts';
import { orderableIn, serverIpv6, type HcloudDeprecation } from './hetzner-wire.ts';
import type { CloudProvider, FindQuery, Image, Location, ServerInfo, ServerSpec, ServerStatus, ServerType } from './types.ts';

export const HETZNER_DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

// ---- wire types (the fields Hangar reads; see the spec for the rest) ----

export interface HcloudAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started?: string;
  finished?: string | null;
  resources?: { id: number; type: string }[];
  error: { code: string; message: string } | null;
}

export interface HcloudLocation {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  network_zone?: string;
}

export interface HcloudImage {
  id: number;
  type: 'system' | 'app' | 'snapshot' | 'backup';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  labels: Record<string, string>;
  architecture?: string;
}

export interface HcloudServer {
  id: number;
  name: string;
  status: 'running' | 'initializing' | 'starting' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';
  created: string;
  public_net: { ipv4: { ip: string } | null; ipv6: { ip: string } | null };
  server_type: { name: string };
  location?: { name: string };
  datacenter?: { name: string; location: { name: string } };
  image: { id: number; name: string | null } | null;
  labels: Record<string, string>;
}

interface HcloudPrice {
  location: string;
  price_hourly: { net: string; gross: string };
  price_monthly: { net: string; gross: string };
}

export interface HcloudServerType {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  deprecated?: boolean;
  architecture?: string;
  prices: HcloudPrice[];
  /** Deprecated by the spec in favour of `locations[].deprecation`; read only when `locations` is absent. */
  deprecation?: HcloudDeprecation | null;
  /** Where the type is sold, and per location whether it is deprecated or temporarily unavailable. */
  locations?: { id: number; name: string; deprecation: HcloudDeprecation | null; recommended?: boolean; available?: boolean }[];
}


// ---- options ----

export interface HetznerOptions {
  token: string;
  /** Default https://api.hetzner.cloud/v1 (env `HCLOUD_ENDPOINT`). */
  baseUrl?: string;
  fetch?: FetchLike;
  clock?: Clock;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Used when a ServerSpec leaves them out. */
  defaults?: { serverType?: string; location?: string; image?: string; sshKeys?: string[] };
  /**
   * Wait for power-off and snapshot actions to finish (default true). With false the methods
   * return once Hetzner has accepted the action.
   */
  waitForActions?: boolean;
  /** Give up waiting on an action after this long. Default 30 minutes (snapshots are slow). */
  actionTimeoutMs?: number;
  /** Action polling: first interval, cap. Default 1 s growing ×1.5 to 10 s. */
  actionPoll?: { initialMs?: number; maxMs?: number };
  /** Anything else for the REST client (retries, backoff, extra headers, governor). */
  rest?: Partial<RestClientOptions>;
}

const STATUS: Record<HcloudServer['status'], ServerStatus> = {
  initializing: 'creating',
  starting: 'creating',
  rebuilding: 'creating',
  running: 'running',
  migrating: 'running',
  stopping: 'off',
  off: 'off',
  deleting: 'deleting',
  unknown: 'unknown',
};

function isId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

function matchesLabels(have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

function mapHcloudServer(s: HcloudServer): ServerInfo {
  return {
    id: String(s.id),
    name: s.name,
    labels: s.labels ?? {},
    status: STATUS[s.status] ?? 'unknown',
    ipv4: s.public_net?.ipv4?.ip ?? null,
    ipv6: serverIpv6(s.public_net?.ipv6?.ip),
    location: s.location?.name ?? s.datacenter?.location?.name ?? null,
    serverType: s.server_type?.name ?? null,
    image: s.image ? (s.image.name ?? String(s.image.id)) : null,
    createdAt: s.created ?? null,
  };
}

function mapHcloudImage(i: HcloudImage): Image {
  return {
    id: String(i.id),
    name: i.name ?? i.description,
    description: i.description,
    kind: i.type === 'system' || i.type === 'app' ? 'system' : 'snapshot',
    labels: i.labels ?? {},
    createdAt: i.created ?? null,
    sizeGb: i.image_size ?? null,
  };
}

/** Hetzner Cloud as a {@link CloudProvider}. */
export class HetznerProvider implements CloudProvider {
  readonly name = 'hetzner' as const;
  readonly userDataLimit = 32 * 1024;
  readonly api: RestClient;
  private readonly opts: HetznerOptions;
  private readonly clock: Clock;

  constructor(opts: HetznerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.api = cloudClient('hetzner', HETZNER_DEFAULT_ENDPOINT, HETZNER_RATE_LIMIT, opts, this.clock);
  }

  async createServer(spec: ServerSpec): Promise<ServerInfo> {
    const size = Buffer.byteLength(spec.userData, 'utf8');
    if (size > this.userDataLimit) {
      throw new ProviderError('hetzner', 'user_data_too_large', `user-data is ${size} bytes; Hetzner accepts ${this.userDataLimit}`, undefined, false);
    }
    const d = this.opts.defaults ?? {};
    const sshKeys = spec.sshKeys ?? d.sshKeys;
    const placement = this.defaultPlacement();
    const body = {
      name: spec.name,
      server_type: spec.serverType ?? placement.serverType,
      image: spec.image ?? d.image ?? 'ubuntu-24.04',
      location: spec.location ?? placement.location,
      labels: spec.labels,
      user_data: spec.userData,
      ...(sshKeys?.length ? { ssh_keys: sshKeys } : {}),
      start_after_create: true,
    };
    // Not retried on 5xx/timeouts: a second POST could race the first. The caller finds the
    // server by label (or adopts it on `uniqueness_error`) before trying again.
    const res = await this.api.post<{ server: HcloudServer; action?: HcloudAction }>('/servers', body);
    return mapHcloudServer(res.server);
  }

  /** The server type and location a create without them gets (cpx22 in nbg1 unless configured). */
  defaultPlacement(): { serverType: string; location: string } {
    const d = this.opts.defaults ?? {};
    return { serverType: d.serverType ?? 'cpx22', location: d.location ?? 'nbg1' };
  }

  async findServers(query: FindQuery): Promise<ServerInfo[]> {
    const q: Record<string, string | undefined> = {};
    if (query.labels && Object.keys(query.labels).length) q.label_selector = labelSelector(query.labels);
    if (query.name) q.name = query.name;
    const servers = await hetznerPages<HcloudServer>(this.api, '/servers', 'servers', q);
    return servers
      .filter((s) => matchesLabels(s.labels, query.labels) && (!query.name || s.name === query.name))
      .map(mapHcloudServer);
  }

  async getServer(id: string): Promise<ServerInfo | null> {
    if (!isId(id)) return null;
    const res = await this.api.getOrNull<{ server: HcloudServer }>(`/servers/${seg(id)}`);
    return res ? mapHcloudServer(res.server) : null;
  }

  async deleteServer(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.api.deleteIfExists(`/servers/${seg(id)}`);
  }

  /** Server types still orderable, with gross prices per location in EUR. */
  async listServerTypes(): Promise<ServerType[]> {
    const types = await hetznerPages<HcloudServerType>(this.api, '/server_types', 'server_types');
    const now = this.clock.now();
    return types
      .map((t) => ({ ...t, where: orderableIn(t, now) }))
      .filter((t) => t.where.size > 0)
      .map((t) => ({
        name: t.name,
        description: t.description,
        cores: t.cores,
        memoryGb: t.memory,
        diskGb: t.disk,
        architecture: t.architecture,
        prices: (t.prices ?? []).filter((p) => t.where.has(p.location)).map((p) => ({
          location: p.location,
          hourly: Number(p.price_hourly.gross),
          monthly: Number(p.price_monthly.gross),
          currency: 'EUR',
          hourlyNet: Number(p.price_hourly.net),
          monthlyNet: Number(p.price_monthly.net),
        })),
      }));
  }

  async listLocations(): Promise<Location[]> {
    const locs = await hetznerPages<HcloudLocation>(this.api, '/locations', 'locations');
    return locs.map((l) => ({ name: l.name, description: l.description, country: l.country, city: l.city }));
  }

  /** System images (`type=system`) and snapshots (`type=snapshot`, filtered by `label_selector`). */
  async listImages(query: { kind?: 'system' | 'snapshot'; labels?: Record<string, string> } = {}): Promise<Image[]> {
    const hasLabels = !!query.labels && Object.keys(query.labels).length > 0;
    const fetchKind = (type: string | string[], labels?: Record<string, string>) =>
      hetznerPages<HcloudImage>(this.api, '/images', 'images', { type, ...(labels ? { label_selector: labelSelector(labels) } : {}) });
    let images: HcloudImage[];
    if (query.kind === 'system') images = await fetchKind('system');
    else if (query.kind === 'snapshot') images = await fetchKind('snapshot', hasLabels ? query.labels : undefined);
    else if (hasLabels) images = [...(await fetchKind('system')), ...(await fetchKind('snapshot', query.labels))];
    else images = await fetchKind(['system', 'snapshot']);
    return images
      .map(mapHcloudImage)
      .filter((i) => (query.kind ? i.kind === query.kind : true) && (i.kind === 'system' || matchesLabels(i.labels, query.labels)));
  }

  async powerOff(id: string): Promise<void> {
    const res = await this.api.post<{ action: HcloudAction }>(`/servers/${seg(id)}/actions/poweroff`, undefined, { safe: true });
    if (this.opts.waitForActions !== false) await this.waitForAction(res.action);
  }

  /** Power a server on (`POST /servers/{id}/actions/poweron`); waits for the action. */
  async powerOn(id: string): Promise<void> {
    const res = await this.api.post<{ action: HcloudAction }>(`/servers/${seg(id)}/actions/poweron`, undefined, { safe: true });
    if (this.opts.waitForActions !== false) await this.waitForAction(res.action);
  }

  /** Image a server into a labelled snapshot; resolves when the snapshot is available. */
  async createSnapshot(serverId: string, description: string, labels: Record<string, string>): Promise<Image> {
    const res = await this.api.post<{ image?: HcloudImage; action?: HcloudAction }>(`/servers/${seg(serverId)}/actions/create_image`, {
      type: 'snapshot',
      description,
      labels,
    });
    if (!res.image) throw new ProviderError('hetzner', 'invalid_response', 'create_image answered without an image', 201);
    const image = res.image;
    if (this.opts.waitForActions !== false && res.action) {
      await this.waitForAction(res.action);
      const fresh = await this.getImage(String(image.id));
      if (fresh) return fresh;
    }
    return mapHcloudImage(image);
  }

  /** An image or snapshot by id, or null when it does not exist. */
  async getImage(id: string): Promise<Image | null> {
    if (!isId(id)) return null;
    const res = await this.api.getOrNull<{ image: HcloudImage }>(`/images/${seg(id)}`);
    return res ? mapHcloudImage(res.image) : null;
  }

  async deleteSnapshot(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.api.deleteIfExists(`/images/${seg(id)}`);
  }

  async getAction(id: number | string): Promise<HcloudAction> {
    return (await this.api.get<{ action: HcloudAction }>(`/actions/${seg(id)}`)).action;
  }

  /**
   * Poll `GET /actions/{id}` with backoff until the action succeeds. An action that ends in
   * `error` throws ProviderError with the action's own error code; one still running after
   * `timeoutMs` throws `action_timeout` (retryable).
   */
  async waitForAction(action: HcloudAction | number, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HcloudAction> {
    return pollAction(action, {
      provider: 'hetzner',
      clock: this.clock,
      timeoutMs: o.timeoutMs ?? this.opts.actionTimeoutMs ?? 30 * 60_000,
      poll: this.opts.actionPoll,
      signal: o.signal,
      get: (id) => this.getAction(id),
      outcome: (a) => (a.status === 'success' ? 'done' : a.status === 'error' ? new ProviderError('hetzner', a.error?.code ?? 'action_failed', `action ${a.id} (${a.command}) failed: ${a.error?.message ?? 'unknown error'}`) : null),
      describe: (a) => `action ${a.id} (${a.command}) still ${a.status}`,
    });
  }
}

/**
 * The base URL the API's paths go under, from an endpoint given with or without its `/v1` (and
 * trailing slashes): the emulator prints `http://127.0.0.1:4010/v1`, a user may paste the origin.
 *
 * @example
 * hetznerBaseUrl('http://127.0.0.1:4010')     // → 'http://127.0.0.1:4010/v1'
 * hetznerBaseUrl('http://127.0.0.1:4010/v1/') // → 'http://127.0.0.1:4010/v1'
 */
export function hetznerBaseUrl(endpoint: string): string {
  const url = endpoint.trim().replace(/\/+$/, '');
  return url.endsWith('/v1') ? url : `${url}/v1`;
}

/**
 * A Hetzner provider from the environment, or null when no token is set.
 * Reads `HETZNER_API_TOKEN` (or `HCLOUD_TOKEN`), `HCLOUD_ENDPOINT` (with or without `/v1`), and
 * `HETZNER_SSH_KEY_ID` (comma-separated SSH key ids or names added to every server).
 */
export function hetznerFromEnv(env: Record<string, string | undefined> = process.env, overrides: Partial<HetznerOptions> = {}): HetznerProvider | null {
  const token = env.HETZNER_API_TOKEN?.trim() || env.HCLOUD_TOKEN?.trim();
  if (!token) return null;
  const sshKeys = env.HETZNER_SSH_KEY_ID?.split(',').map((s) => s.trim()).filter(Boolean);
  return new HetznerProvider({
    token,
    baseUrl: env.HCLOUD_ENDPOINT?.trim() ? hetznerBaseUrl(env.HCLOUD_ENDPOINT) : HETZNER_DEFAULT_ENDPOINT,
    ...overrides,
    defaults: { ...(sshKeys?.length ? { sshKeys } : {}), ...overrides.defaults },
  });
}
