/**
 * A stateful, in-memory emulator of the Hetzner Cloud API endpoints Hangar uses, served under
 * `/v1` with the vendor's response shapes (checked against the OpenAPI spec in the tests).
 *
 * @example
 * const hz = await startHetznerEmulator({ boot: false });
 * await fetch(`${hz.baseUrl}/servers`, { headers: { authorization: `Bearer ${hz.token}` } });
 * await hz.stop();
 */
import { EventEmitter } from 'node:events';
import { Booter, type BootHook, type BuilderBootHook, type SnapshotBuilderOptions } from './boot.ts';
import {
  AddressPool,
  controls,
  EmulatorCore,
  HttpError,
  intParam,
  iso,
  Timers,
  type Ctx,
  type EmulatorControls,
  type FaultConfig,
  type RateLimitSpec,
  ownerOf,
  type Reply,
  type Route,
  type ServerHistoryEntry,
  type TokenBucket,
  type Vendor,
  waitUntil,
  capacityFault,
} from './common.ts';
import { invalidLabels, matchesSelector, parseLabelSelector, SelectorError } from './label-selector.ts';

export const HETZNER_BASE_PATH = '/v1';
/** 3600 requests per hour, starting with a full bucket. */
export const HETZNER_RATE_LIMIT: RateLimitSpec = { capacity: 3600, refillPerSecond: 1 };
export const HETZNER_USER_DATA_LIMIT = 32 * 1024;
export const HETZNER_MAX_PER_PAGE = 50;

export interface HetznerEmulatorOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  host?: string;
  /** Accepted bearer tokens (default `['test-token']`); `'*'` accepts any. */
  tokens?: string[] | '*';
  /** Per-token bucket (default 3600/h, full); false disables rate limiting. */
  rateLimit?: RateLimitSpec | false;
  /** Fault injection at start (see FaultConfig); `seed` may also be given on its own. */
  faults?: Partial<FaultConfig>;
  seed?: number;
  /** How long an action stays `running` (default 100 ms). */
  actionDelayMs?: number;
  /** Per-command override, e.g. `{ create_image: 500 }`. */
  actionDelays?: Record<string, number>;
  /** From create to `running` (and the boot hook), default 200 ms. */
  bootDelayMs?: number;
  /** Called when a server with a bootstrap config is running; default: spawn the real agent; false: none. */
  boot?: BootHook | false;
  /** Called when a server without a bootstrap config (a snapshot builder) is running. */
  onBuilderBoot?: BuilderBootHook;
  /** The default snapshot builder (reports ready to Hangar, powers off); false: builders idle. */
  snapshotBuilder?: SnapshotBuilderOptions | false;
}

// ---------------------------------------------------------------------------------------------
// Catalog: locations, server types, system images (plausible data, not live prices)

interface LocationDef {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
  dc: { id: number; name: string; description: string };
}

const LOCATIONS: LocationDef[] = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central', dc: { id: 4, name: 'fsn1-dc14', description: 'Falkenstein 1 virtual DC 14' } },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central', dc: { id: 2, name: 'nbg1-dc3', description: 'Nuremberg 1 virtual DC 3' } },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central', dc: { id: 3, name: 'hel1-dc2', description: 'Helsinki 1 virtual DC 2' } },
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.045821, longitude: -77.487073, network_zone: 'us-east', dc: { id: 5, name: 'ash-dc1', description: 'Ashburn virtual DC 1' } },
  { id: 5, name: 'hil', description: 'Hillsboro, OR', country: 'US', city: 'Hillsboro, OR', latitude: 45.54222, longitude: -122.951924, network_zone: 'us-west', dc: { id: 6, name: 'hil-dc1', description: 'Hillsboro virtual DC 1' } },
  { id: 6, name: 'sin', description: 'Singapore', country: 'SG', city: 'Singapore', latitude: 1.283333, longitude: 103.833333, network_zone: 'ap-southeast', dc: { id: 7, name: 'sin-dc1', description: 'Singapore virtual DC 1' } },
];

interface ServerTypeDef {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  category: string;
  hourly: number;
  monthly: number;
  locations: string[];
}

const EU = ['fsn1', 'nbg1', 'hel1'];
const ALL = LOCATIONS.map((l) => l.name);

const SERVER_TYPES: ServerTypeDef[] = [
  { id: 114, name: 'cx23', description: 'CX23', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86', category: 'cost_optimized', hourly: 0.0048, monthly: 2.99, locations: EU },
  { id: 115, name: 'cx33', description: 'CX33', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'x86', category: 'cost_optimized', hourly: 0.008, monthly: 4.99, locations: EU },
  { id: 116, name: 'cpx22', description: 'CPX22', cores: 2, memory: 4, disk: 80, cpu_type: 'shared', architecture: 'x86', category: 'regular_purpose', hourly: 0.0096, monthly: 5.99, locations: ALL },
  { id: 117, name: 'cpx32', description: 'CPX32', cores: 4, memory: 8, disk: 160, cpu_type: 'shared', architecture: 'x86', category: 'regular_purpose', hourly: 0.0176, monthly: 10.99, locations: ALL },
  { id: 45, name: 'cax11', description: 'CAX11', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'arm', category: 'cost_optimized', hourly: 0.0061, monthly: 3.79, locations: EU },
  { id: 96, name: 'ccx13', description: 'CCX13', cores: 2, memory: 8, disk: 80, cpu_type: 'dedicated', architecture: 'x86', category: 'general_purpose', hourly: 0.02, monthly: 12.49, locations: ALL },
];

interface HImage {
  id: number;
  type: 'system' | 'snapshot' | 'backup';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  bound_to: number | null;
  os_flavor: 'ubuntu' | 'debian' | 'unknown';
  os_version: string | null;
  rapid_deploy?: boolean;
  protection: { delete: boolean };
  deprecated: string | null;
  deleted: string | null;
  labels: Record<string, string>;
  architecture: 'x86' | 'arm';
}

function systemImages(): HImage[] {
  const img = (id: number, name: string, description: string, flavor: 'ubuntu' | 'debian', version: string, arch: 'x86' | 'arm', created: string): HImage => ({
    id,
    type: 'system',
    status: 'available',
    name,
    description,
    image_size: null,
    disk_size: 5,
    created,
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: arch,
  });
  return [
    img(161547269, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'x86', '2024-04-25T13:26:27Z'),
    img(161547270, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'arm', '2024-04-25T13:26:28Z'),
    img(67794396, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04', 'x86', '2022-04-21T13:32:38Z'),
    img(114690387, 'debian-12', 'Debian 12', 'debian', '12', 'x86', '2023-06-13T06:00:02Z'),
    img(114690389, 'debian-12', 'Debian 12', 'debian', '12', 'arm', '2023-06-13T06:00:03Z'),
  ];
}

// ---------------------------------------------------------------------------------------------
// State

export type HServerStatus = 'running' | 'initializing' | 'starting' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

export interface HServer {
  id: number;
  name: string;
  status: HServerStatus;
  created: string;
  labels: Record<string, string>;
  serverType: string;
  location: string;
  image: HImage | null;
  userData: string;
  ipv4: string;
  ipv4Id: number;
  ipv6Net: string;
  ipv6Id: number;
  /** Set when fault injection doomed this server to vanish after it runs. */
  doomed: boolean;
}

export interface HAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  started: string;
  finished: string | null;
  progress: number;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
}

export type HetznerEvent = 'server:created' | 'server:running' | 'server:off' | 'server:deleted' | 'server:vanished' | 'action:finished' | 'image:available' | 'boot' | 'boot:error';

const hetznerVendor: Vendor = {
  name: 'hetzner',
  error: (_status, code, message) => ({ error: { code, message, details: {} } }),
  unauthorized: () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'unable to authenticate', details: {} } } }),
  notFound: (what = 'resource') => ({ status: 404, body: { error: { code: 'not_found', message: `${what} not found`, details: {} } } }),
  tooManyRequests: () => ({ error: { code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached', details: {} } }),
  serverErrorCode: (status) => (status === 503 ? 'unavailable' : status === 504 ? 'timeout' : 'server_error'),
  rateLimitHeaders: (buckets: TokenBucket[], now: number) => {
    const b = buckets[0];
    return {
      'RateLimit-Limit': String(b.spec.capacity),
      'RateLimit-Remaining': String(b.remaining(now)),
      'RateLimit-Reset': String(Math.ceil(now / 1000 + b.secondsUntilFull(now))),
    };
  },
  retryHeaders: () => ({}),
};

const invalidInput = (field: string, message: string): HttpError =>
  new HttpError(400, { error: { code: 'invalid_input', message: `invalid input in field '${field}'`, details: { fields: [{ name: field, messages: [message] }] } } });
const notFound = (what: string): HttpError => new HttpError(404, { error: { code: 'not_found', message: `${what} not found`, details: {} } });

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

/** All resources of one emulated Hetzner project, plus the operations the routes call. */
export class HetznerState {
  readonly servers = new Map<number, HServer>();
  readonly actions = new Map<number, HAction>();
  readonly images = new Map<number, HImage>();
  /** Every server ever created (kept after deletion). */
  readonly history: ServerHistoryEntry[] = [];
  readonly events = new EventEmitter();
  readonly booter: Booter;
  readonly timers = new Timers();
  readonly addresses = new AddressPool();
  private nextServerId = 40_000_001;
  private nextActionId = 300_000_001;
  private nextImageId = 200_000_001;
  private nextIpId = 50_000_001;
  /** Set by the emulator: the fault settings and RNG. */
  constructor(
    private readonly opts: Required<Pick<HetznerEmulatorOptions, 'actionDelayMs' | 'bootDelayMs'>> & Pick<HetznerEmulatorOptions, 'actionDelays' | 'boot' | 'onBuilderBoot' | 'snapshotBuilder'>,
    private readonly faults: EmulatorCore['faults'],
  ) {
    this.booter = new Booter({
      provider: 'hetzner',
      boot: opts.boot,
      onBuilderBoot: opts.onBuilderBoot,
      snapshotBuilder: opts.snapshotBuilder,
      powerOff: (id) => {
        const s = this.servers.get(Number(id));
        if (!s || s.status === 'deleting') return;
        s.status = 'off';
        this.events.emit('server:off', s);
      },
      onEvent: (e, r) => (e === 'boot:stopped' ? undefined : this.events.emit(e, r)),
    });
    this.seedImages();
  }

  private seedImages(): void {
    for (const img of systemImages()) this.images.set(img.id, img);
  }

  get serverTypes(): readonly ServerTypeDef[] {
    return SERVER_TYPES;
  }
  get locations(): readonly LocationDef[] {
    return LOCATIONS;
  }

  async reset(): Promise<void> {
    this.timers.clear();
    await this.booter.stopAll();
    this.booter.clear();
    this.servers.clear();
    this.history.length = 0;
    this.actions.clear();
    this.images.clear();
    this.seedImages();
    this.addresses.reset();
    this.nextServerId = 40_000_001;
    this.nextActionId = 300_000_001;
    this.nextImageId = 200_000_001;
    this.nextIpId = 50_000_001;
  }

  async shutdown(): Promise<void> {
    this.timers.clear();
    await this.booter.stopAll();
  }

  /** Run `fn` once this action finishes (after its delay); it learns whether it failed. */
  private startAction(command: string, resources: { id: number; type: string }[], delayMs?: number, onDone?: (a: HAction) => void, forceError?: boolean): HAction {
    const a: HAction = { id: this.nextActionId++, command, status: 'running', started: iso(), finished: null, progress: 0, resources, error: null };
    this.actions.set(a.id, a);
    const ms = delayMs ?? this.opts.actionDelays?.[command] ?? this.opts.actionDelayMs;
    this.timers.after(ms, () => {
      if (a.status !== 'running') return; // finished early (e.g. start_server after a failed create)
      const fails = forceError || this.faults.actionFails(command);
      a.status = fails ? 'error' : 'success';
      a.progress = 100;
      a.finished = iso();
      if (fails) a.error = { code: this.faults.config.actionErrorCode, message: this.faults.config.actionErrorMessage };
      onDone?.(a);
      this.events.emit('action:finished', a);
    });
    return a;
  }

  findImage(ref: string, arch: 'x86' | 'arm'): HImage | undefined {
    if (/^\d+$/.test(ref)) return this.images.get(Number(ref));
    return [...this.images.values()].find((i) => i.name === ref && i.architecture === arch && i.type === 'system');
  }

  createServer(body: unknown): { server: HServer; action: HAction; next_actions: HAction[] } {
    const b = (body ?? {}) as Record<string, unknown>;
    const name = b.name;
    if (typeof name !== 'string' || !name) throw invalidInput('name', 'Missing data for required field.');
    if (!HOSTNAME.test(name)) throw invalidInput('name', 'invalid hostname (RFC 1123)');
    if (typeof b.server_type !== 'string' || !b.server_type) throw invalidInput('server_type', 'Missing data for required field.');
    if (typeof b.image !== 'string' || !b.image) throw invalidInput('image', 'Missing data for required field.');
    if (b.location !== undefined && b.datacenter !== undefined) throw invalidInput('location', 'location and datacenter are mutually exclusive');
    const labelError = invalidLabels(b.labels);
    if (labelError) throw invalidInput('labels', labelError);
    const userData = b.user_data === undefined ? '' : b.user_data;
    if (typeof userData !== 'string') throw invalidInput('user_data', 'Not a valid string.');
    if (Buffer.byteLength(userData) > HETZNER_USER_DATA_LIMIT) throw invalidInput('user_data', `user_data must not exceed ${HETZNER_USER_DATA_LIMIT} bytes`);
    const type = SERVER_TYPES.find((t) => t.name === b.server_type || String(t.id) === b.server_type);
    if (!type) throw invalidInput('server_type', `server type ${String(b.server_type)} not found`);
    let loc: LocationDef | undefined;
    if (typeof b.location === 'string') {
      loc = LOCATIONS.find((l) => l.name === b.location || String(l.id) === b.location);
      if (!loc) throw invalidInput('location', `location ${b.location} not found`);
    } else if (typeof b.datacenter === 'string') {
      loc = LOCATIONS.find((l) => l.dc.name === b.datacenter || String(l.dc.id) === b.datacenter);
      if (!loc) throw invalidInput('datacenter', `datacenter ${b.datacenter} not found`);
    } else loc = LOCATIONS.find((l) => type.locations.includes(l.name));
    if (!loc || !type.locations.includes(loc.name)) throw new HttpError(412, { error: { code: 'resource_unavailable', message: `server type ${type.name} is not available in ${loc?.name ?? 'any location'}`, details: {} } });
    const cap = capacityFault(this.faults.config.capacity, type.name, loc.name);
    if (cap) {
      const status = cap.code === 'resource_limit_exceeded' ? 403 : 412;
      const message = cap.code === 'resource_limit_exceeded' ? 'server limit exceeded for this project' : cap.code === 'placement_error' ? `no host available for ${type.name} in ${loc.name}` : `server type ${type.name} is unavailable in ${loc.name}`;
      throw new HttpError(status, { error: { code: cap.code, message, details: {} } });
    }
    const image = this.findImage(b.image, type.architecture);
    if (!image) throw invalidInput('image', `image ${b.image} not found`);
    if (image.status !== 'available') throw invalidInput('image', `image ${b.image} is not available`);
    if (image.architecture !== type.architecture) throw invalidInput('image', `image architecture ${image.architecture} does not match server type ${type.name}`);
    if ([...this.servers.values()].some((s) => s.name === name))
      throw new HttpError(409, { error: { code: 'uniqueness_error', message: 'server name is already used', details: { fields: [{ name: 'name' }] } } });

    const server: HServer = {
      id: this.nextServerId++,
      name,
      status: 'initializing',
      created: iso(),
      labels: { ...((b.labels as Record<string, string> | undefined) ?? {}) },
      serverType: type.name,
      location: loc.name,
      image: { ...image },
      userData,
      ipv4: this.addresses.nextV4(),
      ipv4Id: this.nextIpId++,
      ipv6Net: this.addresses.nextV6Net(),
      ipv6Id: this.nextIpId++,
      doomed: this.faults.serverVanishes(),
    };
    this.servers.set(server.id, server);
    this.history.push({ id: server.id, name, instance: ownerOf(server.labels), created: server.created, deleted: null, vanished: false });
    const startAfterCreate = b.start_after_create !== false;
    const res = [{ id: server.id, type: 'server' }];
    let createFailed = false;
    const next: HAction[] = [];
    const action = this.startAction('create_server', res, undefined, (a) => {
      createFailed = a.status === 'error';
      for (const n of next) {
        if (!createFailed || n.status !== 'running') continue;
        Object.assign(n, { status: 'error', progress: 100, finished: iso(), error: { code: 'action_failed', message: 'create_server failed' } });
        this.events.emit('action:finished', n);
      }
      const s = this.servers.get(server.id);
      if (s && (createFailed || !startAfterCreate) && s.status === 'initializing') {
        s.status = 'off';
        this.events.emit('server:off', s);
      }
    });
    if (startAfterCreate) {
      const delay = Math.max(this.opts.bootDelayMs, this.opts.actionDelays?.create_server ?? this.opts.actionDelayMs);
      next.push(
        this.startAction(
          'start_server',
          res,
          delay,
          (a) => {
            const s = this.servers.get(server.id);
            if (!s || s.status !== 'initializing') return;
            if (a.status === 'error') {
              s.status = 'off';
              this.events.emit('server:off', s);
              return;
            }
            s.status = 'running';
            this.events.emit('server:running', s);
            this.booter.start({ id: String(s.id), name: s.name, userData: s.userData, labels: { ...s.labels }, ipv4: s.ipv4 });
            if (s.doomed) this.timers.after(this.faults.config.vanishAfterMs, () => void this.vanish(s.id));
          },
          false,
        ),
      );
    }
    this.events.emit('server:created', server);
    return { server, action, next_actions: next };
  }

  deleteServer(id: number): HAction {
    const s = this.servers.get(id);
    if (!s) throw notFound('server');
    const before = s.status === 'deleting' ? 'off' : s.status;
    s.status = 'deleting';
    void this.booter.stop(String(id));
    return this.startAction('delete_server', [{ id, type: 'server' }], undefined, (a) => {
      if (a.status === 'success') {
        if (this.servers.delete(id)) {
          this.markGone(id, false);
          this.events.emit('server:deleted', s);
        }
      } else if (this.servers.has(id)) s.status = before === 'running' ? 'off' : before;
    });
  }

  powerOff(id: number): HAction {
    const s = this.servers.get(id);
    if (!s) throw notFound('server');
    return this.startAction('stop_server', [{ id, type: 'server' }], undefined, (a) => {
      if (a.status !== 'success' || !this.servers.has(id) || s.status === 'deleting') return;
      s.status = 'off';
      void this.booter.stop(String(id));
      this.events.emit('server:off', s);
    });
  }

  createImage(id: number, body: unknown): { image: HImage; action: HAction } {
    const s = this.servers.get(id);
    if (!s) throw notFound('server');
    const b = (body ?? {}) as Record<string, unknown>;
    const type = b.type ?? 'snapshot';
    if (type !== 'snapshot' && type !== 'backup') throw invalidInput('type', 'must be one of snapshot, backup');
    const labelError = invalidLabels(b.labels);
    if (labelError) throw invalidInput('labels', labelError);
    if (b.description !== undefined && typeof b.description !== 'string') throw invalidInput('description', 'Not a valid string.');
    const st = SERVER_TYPES.find((t) => t.name === s.serverType)!;
    const image: HImage = {
      id: this.nextImageId++,
      type,
      status: 'creating',
      name: null,
      description: (b.description as string | undefined) ?? `${s.name}-${iso()}`,
      image_size: null,
      disk_size: st.disk,
      created: iso(),
      created_from: { id: s.id, name: s.name },
      bound_to: type === 'backup' ? s.id : null,
      os_flavor: s.image?.os_flavor ?? 'unknown',
      os_version: s.image?.os_version ?? null,
      protection: { delete: false },
      deprecated: null,
      deleted: null,
      labels: { ...((b.labels as Record<string, string> | undefined) ?? {}) },
      architecture: st.architecture,
    };
    this.images.set(image.id, image);
    const action = this.startAction('create_image', [{ id: s.id, type: 'server' }, { id: image.id, type: 'image' }], undefined, (a) => {
      if (a.status === 'success') {
        image.status = 'available';
        image.image_size = 1.26;
        this.events.emit('image:available', image);
      } else this.images.delete(image.id);
    });
    return { image, action };
  }

  deleteImage(id: number): void {
    const img = this.images.get(id);
    if (!img) throw notFound('image');
    if (img.type === 'system') throw new HttpError(403, { error: { code: 'forbidden', message: 'system images cannot be deleted', details: {} } });
    if (img.protection.delete) throw new HttpError(423, { error: { code: 'protected', message: 'image is protected', details: {} } });
    this.images.delete(id);
  }

  private markGone(id: number, vanished: boolean): void {
    const h = this.history.find((x) => x.id === id && !x.deleted);
    if (h) Object.assign(h, { deleted: iso(), vanished });
  }

  /** Delete a server out from under Hangar: no action, no trace. */
  async vanish(id: number): Promise<boolean> {
    const s = this.servers.get(id);
    if (!s) return false;
    this.servers.delete(id);
    this.markGone(id, true);
    this.events.emit('server:vanished', s);
    await this.booter.stop(String(id));
    return true;
  }

  // -- JSON renderers (spec shapes) ---------------------------------------------------------

  locationJson(l: LocationDef): Record<string, unknown> {
    const { dc: _dc, ...rest } = l;
    return { ...rest };
  }

  serverTypeJson(t: ServerTypeDef): Record<string, unknown> {
    const money = (n: number) => ({ net: n.toFixed(10), gross: (n * 1.19).toFixed(10) });
    return {
      id: t.id,
      name: t.name,
      description: t.description,
      cores: t.cores,
      memory: t.memory,
      disk: t.disk,
      deprecated: false,
      prices: t.locations.map((loc) => ({
        location: loc,
        price_hourly: money(t.hourly),
        price_monthly: money(t.monthly),
        included_traffic: (LOCATIONS.find((l) => l.name === loc)!.network_zone === 'eu-central' ? 20 : 1) * 1024 ** 4,
        price_per_tb_traffic: money(1),
      })),
      storage_type: 'local',
      cpu_type: t.cpu_type,
      category: t.category,
      architecture: t.architecture,
      deprecation: null,
      locations: t.locations.map((n) => ({ id: LOCATIONS.find((l) => l.name === n)!.id, name: n, deprecation: null, recommended: true, available: true })),
    };
  }

  datacenterJson(l: LocationDef): Record<string, unknown> {
    const ids = SERVER_TYPES.filter((t) => t.locations.includes(l.name)).map((t) => t.id);
    return { id: l.dc.id, name: l.dc.name, description: l.dc.description, location: this.locationJson(l), server_types: { supported: ids, available: ids, available_for_migration: ids } };
  }

  imageJson(i: HImage): Record<string, unknown> {
    return { ...i, labels: { ...i.labels } };
  }

  serverJson(s: HServer): Record<string, unknown> {
    const type = SERVER_TYPES.find((t) => t.name === s.serverType)!;
    const loc = LOCATIONS.find((l) => l.name === s.location)!;
    const st = this.serverTypeJson(type);
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: s.created,
      public_net: {
        ipv4: { id: s.ipv4Id, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4.split('.').reverse().join('.')}.clients.your-server.de` },
        ipv6: { id: s.ipv6Id, ip: `${s.ipv6Net}/64`, blocked: false, dns_ptr: [] },
        floating_ips: [],
        firewalls: [],
      },
      private_net: [],
      server_type: st,
      datacenter: this.datacenterJson(loc),
      location: this.locationJson(loc),
      image: s.image ? this.imageJson(s.image) : null,
      iso: null,
      rescue_enabled: false,
      locked: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: (st.prices as { location: string; included_traffic: number }[]).find((p) => p.location === s.location)?.included_traffic ?? 0,
      protection: { delete: false, rebuild: false },
      labels: { ...s.labels },
      volumes: [],
      load_balancers: [],
      primary_disk_size: type.disk,
      placement_group: null,
    };
  }

  actionJson(a: HAction): Record<string, unknown> {
    return { ...a, resources: a.resources.map((r) => ({ ...r })), error: a.error ? { ...a.error } : null };
  }

  snapshot(): Record<string, unknown> {
    return {
      servers: [...this.servers.values()].map((s) => ({ id: s.id, name: s.name, status: s.status, labels: s.labels, serverType: s.serverType, location: s.location, ipv4: s.ipv4, image: s.image?.id ?? null, created: s.created, doomed: s.doomed })),
      actions: [...this.actions.values()].map((a) => this.actionJson(a)),
      images: [...this.images.values()].filter((i) => i.type !== 'system').map((i) => this.imageJson(i)),
      boots: this.booter.records.map((r) => ({ ...r })),
      history: this.history.map((h) => ({ ...h })),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

function paginate<T>(items: T[], q: URLSearchParams): { items: T[]; meta: Record<string, unknown> } {
  const page = intParam(q, 'page', (m) => invalidInput('page', m)) ?? 1;
  const perPage = intParam(q, 'per_page', (m) => invalidInput('per_page', m)) ?? 25;
  if (page < 1) throw invalidInput('page', 'must be at least 1');
  if (perPage < 1 || perPage > HETZNER_MAX_PER_PAGE) throw invalidInput('per_page', `must be between 1 and ${HETZNER_MAX_PER_PAGE}`);
  const total = items.length;
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    meta: { pagination: { page, per_page: perPage, previous_page: page > 1 ? page - 1 : null, next_page: page < last ? page + 1 : null, last_page: last, total_entries: total } },
  };
}

function selector(q: URLSearchParams): (labels: Record<string, string>) => boolean {
  const sel = q.get('label_selector');
  if (sel === null) return () => true;
  try {
    const reqs = parseLabelSelector(sel);
    return (labels) => matchesSelector(reqs, labels);
  } catch (e) {
    if (e instanceof SelectorError) throw invalidInput('label_selector', e.message);
    throw e;
  }
}

function sorter<T extends { id: number; name: string | null; created: string }>(q: URLSearchParams): (a: T, b: T) => number {
  const sorts = q.getAll('sort');
  const keys = sorts.length ? sorts : ['id'];
  return (a, b) => {
    for (const s of keys) {
      const [field, dir] = s.split(':');
      const sign = dir === 'desc' ? -1 : 1;
      const va = field === 'name' ? (a.name ?? '') : field === 'created' ? a.created : a.id;
      const vb = field === 'name' ? (b.name ?? '') : field === 'created' ? b.created : b.id;
      if (va < vb) return -sign;
      if (va > vb) return sign;
    }
    return 0;
  };
}

const idParam = (c: Ctx, name = 'id'): number => {
  const v = c.params[name];
  if (!/^\d+$/.test(v)) throw invalidInput(name, 'must be an integer');
  return Number(v);
};

function routes(st: HetznerState): Route[] {
  const P = HETZNER_BASE_PATH;
  const ok = (body: unknown, status = 200): Reply => ({ status, body });
  return [
    {
      method: 'POST',
      path: `${P}/servers`,
      handler: (c) => {
        const r = st.createServer(c.body);
        return ok({ server: st.serverJson(r.server), action: st.actionJson(r.action), next_actions: r.next_actions.map((a) => st.actionJson(a)), root_password: null }, 201);
      },
    },
    {
      method: 'GET',
      path: `${P}/servers`,
      handler: (c) => {
        const match = selector(c.query);
        const name = c.query.get('name');
        const statuses = c.query.getAll('status');
        const list = [...st.servers.values()].filter((s) => match(s.labels) && (name === null || s.name === name) && (!statuses.length || statuses.includes(s.status))).sort(sorter(c.query));
        const { items, meta } = paginate(list, c.query);
        return ok({ servers: items.map((s) => st.serverJson(s)), meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/servers/{id}`,
      handler: (c) => {
        const s = st.servers.get(idParam(c));
        if (!s) throw notFound('server');
        return ok({ server: st.serverJson(s) });
      },
    },
    { method: 'DELETE', path: `${P}/servers/{id}`, handler: (c) => ok({ action: st.actionJson(st.deleteServer(idParam(c))) }) },
    { method: 'POST', path: `${P}/servers/{id}/actions/poweroff`, handler: (c) => ok({ action: st.actionJson(st.powerOff(idParam(c))) }, 201) },
    {
      method: 'POST',
      path: `${P}/servers/{id}/actions/create_image`,
      handler: (c) => {
        const r = st.createImage(idParam(c), c.body);
        return ok({ image: st.imageJson(r.image), action: st.actionJson(r.action) }, 201);
      },
    },
    {
      method: 'GET',
      path: `${P}/servers/{id}/actions/{action_id}`,
      handler: (c) => {
        const a = st.actions.get(idParam(c, 'action_id'));
        if (!a || !a.resources.some((r) => r.type === 'server' && r.id === Number(c.params.id))) throw notFound('action');
        return ok({ action: st.actionJson(a) });
      },
    },
    {
      method: 'GET',
      path: `${P}/actions/{id}`,
      handler: (c) => {
        const a = st.actions.get(idParam(c));
        if (!a) throw notFound('action');
        return ok({ action: st.actionJson(a) });
      },
    },
    {
      method: 'GET',
      path: `${P}/server_types`,
      handler: (c) => {
        const name = c.query.get('name');
        const { items, meta } = paginate(SERVER_TYPES.filter((t) => name === null || t.name === name), c.query);
        return ok({ server_types: items.map((t) => st.serverTypeJson(t)), meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/server_types/{id}`,
      handler: (c) => {
        const t = SERVER_TYPES.find((x) => x.id === idParam(c));
        if (!t) throw notFound('server_type');
        return ok({ server_type: st.serverTypeJson(t) });
      },
    },
    {
      method: 'GET',
      path: `${P}/locations`,
      handler: (c) => {
        const name = c.query.get('name');
        const { items, meta } = paginate(LOCATIONS.filter((l) => name === null || l.name === name), c.query);
        return ok({ locations: items.map((l) => st.locationJson(l)), meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/locations/{id}`,
      handler: (c) => {
        const l = LOCATIONS.find((x) => x.id === idParam(c));
        if (!l) throw notFound('location');
        return ok({ location: st.locationJson(l) });
      },
    },
    {
      method: 'GET',
      path: `${P}/images`,
      handler: (c) => {
        const q = c.query;
        const match = selector(q);
        const types = q.getAll('type');
        const statuses = q.getAll('status');
        const boundTo = q.getAll('bound_to');
        const name = q.get('name');
        const arch = q.get('architecture');
        const list = [...st.images.values()]
          .filter(
            (i) =>
              match(i.labels) &&
              (!types.length || types.includes(i.type)) &&
              (!statuses.length || statuses.includes(i.status)) &&
              (!boundTo.length || boundTo.includes(String(i.bound_to))) &&
              (name === null || i.name === name) &&
              (arch === null || i.architecture === arch),
          )
          .sort(sorter(q));
        const { items, meta } = paginate(list, q);
        return ok({ images: items.map((i) => st.imageJson(i)), meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/images/{id}`,
      handler: (c) => {
        const i = st.images.get(idParam(c));
        if (!i) throw notFound('image');
        return ok({ image: st.imageJson(i) });
      },
    },
    {
      method: 'DELETE',
      path: `${P}/images/{id}`,
      handler: (c) => {
        st.deleteImage(idParam(c));
        return { status: 204 };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Start

export interface HetznerEmulator extends EmulatorControls {
  state: HetznerState;
  /** Delete a server out from under Hangar (no action; its booted agent is stopped). */
  vanish(id: number | string): Promise<boolean>;
  /** Resolve when the server reaches `status` (polls the state; rejects after `timeoutMs`). */
  waitForServer(id: number, status: HServerStatus | 'gone', timeoutMs?: number): Promise<void>;
}

export async function startHetznerEmulator(opts: HetznerEmulatorOptions = {}): Promise<HetznerEmulator> {
  const tokens = opts.tokens ?? ['test-token'];
  let state!: HetznerState;
  const core = new EmulatorCore({
    vendor: hetznerVendor,
    routes: [],
    tokens,
    rateLimit: opts.rateLimit ?? HETZNER_RATE_LIMIT,
    faults: { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.faults ?? {}) },
    snapshot: () => state.snapshot(),
    resetState: () => state.reset(),
    vanish: (id) => state.vanish(Number(id)),
    controlRoutes: [],
  });
  state = new HetznerState({ actionDelayMs: opts.actionDelayMs ?? 100, bootDelayMs: opts.bootDelayMs ?? 200, actionDelays: opts.actionDelays, boot: opts.boot, onBuilderBoot: opts.onBuilderBoot, snapshotBuilder: opts.snapshotBuilder }, core.faults);
  core.addRoutes(routes(state));
  await core.listen(opts.port ?? 0, opts.host);
  return {
    ...controls(core, HETZNER_BASE_PATH, tokens, () => state.shutdown(), () => state.reset()),
    state,
    vanish: (id) => state.vanish(Number(id)),
    waitForServer: (id, status, timeoutMs = 10_000) =>
      waitUntil(() => (status === 'gone' ? !state.servers.has(id) : state.servers.get(id)?.status === status), timeoutMs, `server ${id} to be ${status}`),
  };
}
