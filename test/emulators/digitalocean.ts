/**
 * A stateful, in-memory emulator of the DigitalOcean API v2 endpoints Hangar uses, served under
 * `/v2` with the vendor's response shapes (checked against the OpenAPI spec in the tests).
 *
 * @example
 * const d = await startDigitalOceanEmulator({ boot: false });
 * await fetch(`${d.baseUrl}/droplets?tag_name=hangar-installation-x`, { headers: { authorization: `Bearer ${d.token}` } });
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Booter, type BootHook, type BuilderBootHook, type SnapshotBuilderOptions } from './boot.ts';
import {
  AddressPool,
  controls,
  EmulatorCore,
  HttpError,
  intParam,
  iso,
  Timers,
  waitUntil,
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
  capacityFault,
} from './common.ts';

export const DIGITAL_OCEAN_BASE_PATH = '/v2';
/** 5000 requests per hour and 250 per minute, both starting full. */
export const DIGITAL_OCEAN_RATE_LIMIT: RateLimitSpec[] = [
  { capacity: 5000, refillPerSecond: 5000 / 3600 },
  { capacity: 250, refillPerSecond: 250 / 60 },
];
export const DIGITAL_OCEAN_USER_DATA_LIMIT = 64 * 1024;
export const DIGITAL_OCEAN_MAX_PER_PAGE = 200;

export interface DigitalOceanEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted bearer tokens (default `['test-token']`); `'*'` accepts any. */
  tokens?: string[] | '*';
  /** Per-token buckets; the first is reported in `ratelimit-*` headers. Default 5000/h + 250/min; false disables. */
  rateLimit?: RateLimitSpec | RateLimitSpec[] | false;
  faults?: Partial<FaultConfig>;
  seed?: number;
  /** How long an action stays `in-progress` (default 100 ms). */
  actionDelayMs?: number;
  /** Per-type override, e.g. `{ snapshot: 500 }`. */
  actionDelays?: Record<string, number>;
  /** From create to `active` (and the boot hook), default 200 ms. */
  bootDelayMs?: number;
  boot?: BootHook | false;
  onBuilderBoot?: BuilderBootHook;
  /** The default snapshot builder (reports ready to Hangar, powers off); false: builders idle. */
  snapshotBuilder?: SnapshotBuilderOptions | false;
}

// ---------------------------------------------------------------------------------------------
// Catalog

const REGIONS = [
  { slug: 'nyc3', name: 'New York 3' },
  { slug: 'sfo3', name: 'San Francisco 3' },
  { slug: 'ams3', name: 'Amsterdam 3' },
  { slug: 'fra1', name: 'Frankfurt 1' },
  { slug: 'lon1', name: 'London 1' },
  { slug: 'sgp1', name: 'Singapore 1' },
  { slug: 'tor1', name: 'Toronto 1' },
  { slug: 'blr1', name: 'Bangalore 1' },
  { slug: 'syd1', name: 'Sydney 1' },
];

interface SizeDef {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  transfer: number;
  price_monthly: number;
  description: string;
  regions: string[];
}

const ALL_REGIONS = REGIONS.map((r) => r.slug);
const SIZES: SizeDef[] = [
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, transfer: 1, price_monthly: 6, description: 'Basic', regions: ALL_REGIONS },
  { slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, transfer: 2, price_monthly: 12, description: 'Basic', regions: ALL_REGIONS },
  { slug: 's-2vcpu-2gb', memory: 2048, vcpus: 2, disk: 60, transfer: 3, price_monthly: 18, description: 'Basic', regions: ALL_REGIONS },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, transfer: 4, price_monthly: 24, description: 'Basic', regions: ALL_REGIONS },
  { slug: 's-4vcpu-8gb', memory: 8192, vcpus: 4, disk: 160, transfer: 5, price_monthly: 48, description: 'Basic', regions: ALL_REGIONS },
  { slug: 'g-2vcpu-8gb', memory: 8192, vcpus: 2, disk: 25, transfer: 4, price_monthly: 63, description: 'General Purpose', regions: ['nyc3', 'sfo3', 'ams3', 'fra1'] },
];

export interface DoImage {
  id: number;
  name: string;
  type: 'base' | 'snapshot';
  distribution: 'Ubuntu' | 'Debian' | 'Unknown';
  slug: string | null;
  public: boolean;
  regions: string[];
  created_at: string;
  min_disk_size: number;
  size_gigabytes: number;
  description: string;
  tags: string[];
  status: 'NEW' | 'available' | 'pending' | 'deleted' | 'retired';
  error_message: string;
  /** Snapshots: the droplet they were taken from. */
  resourceId?: number;
}

function distributionImages(): DoImage[] {
  const img = (id: number, slug: string, name: string, distribution: 'Ubuntu' | 'Debian', description: string, created: string): DoImage => ({
    id,
    name,
    type: 'base',
    distribution,
    slug,
    public: true,
    regions: ALL_REGIONS,
    created_at: created,
    min_disk_size: 7,
    size_gigabytes: 2.36,
    description,
    tags: [],
    status: 'available',
    error_message: '',
  });
  return [
    img(160000001, 'ubuntu-24-04-x64', '24.04 (LTS) x64', 'Ubuntu', 'Ubuntu 24.04 (LTS) x64', '2024-04-24T16:00:00Z'),
    img(160000002, 'ubuntu-22-04-x64', '22.04 (LTS) x64', 'Ubuntu', 'Ubuntu 22.04 (LTS) x64', '2022-04-22T16:00:00Z'),
    img(160000003, 'debian-12-x64', '12 x64', 'Debian', 'Debian 12 x64', '2023-06-12T16:00:00Z'),
  ];
}

// ---------------------------------------------------------------------------------------------
// State

export type DropletStatus = 'new' | 'active' | 'off' | 'archive';

export interface Droplet {
  id: number;
  name: string;
  status: DropletStatus;
  created_at: string;
  size: string;
  region: string;
  image: DoImage;
  tags: string[];
  userData: string;
  ipv4: string;
  ipv6: string | null;
  snapshotIds: number[];
  vpcUuid: string;
  monitoring: boolean;
  doomed: boolean;
}

export interface DoAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number | null;
  resource_type: string;
  region_slug: string | null;
}

export type DigitalOceanEvent = 'droplet:created' | 'droplet:active' | 'droplet:off' | 'droplet:deleted' | 'droplet:vanished' | 'action:finished' | 'snapshot:available' | 'boot' | 'boot:error';

const doVendor: Vendor = {
  name: 'digital-ocean',
  error: (_status, id, message) => ({ id, message, request_id: randomUUID() }),
  unauthorized: () => ({ status: 401, body: { id: 'Unauthorized', message: 'Unable to authenticate you', request_id: randomUUID() } }),
  notFound: () => ({ status: 404, body: { id: 'not_found', message: 'The resource you were accessing could not be found.', request_id: randomUUID() } }),
  tooManyRequests: () => ({ id: 'too_many_requests', message: 'API Rate limit exceeded.', request_id: randomUUID() }),
  serverErrorCode: (status) => (status === 503 ? 'service_unavailable' : 'server_error'),
  rateLimitHeaders: (buckets: TokenBucket[], now: number) => {
    const b = buckets[0];
    // The vendor advertises only the hourly bucket; its burst limit (250/minute) shows as remaining 0.
    const burstEmpty = buckets.slice(1).some((x) => x.remaining(now) < 1);
    return {
      'ratelimit-limit': String(b.spec.capacity),
      'ratelimit-remaining': String(burstEmpty ? 0 : b.remaining(now)),
      'ratelimit-reset': String(Math.ceil(now / 1000 + b.secondsUntilIncrement(now))),
    };
  },
  retryHeaders: (buckets: TokenBucket[], now: number) => {
    const wait = Math.max(1, ...buckets.map((b) => Math.ceil(b.secondsUntilNext(now))));
    return { 'retry-after': String(wait) };
  },
};

const unprocessable = (message: string): HttpError => new HttpError(422, { id: 'unprocessable_entity', message, request_id: randomUUID() });
const notFound = (): HttpError => new HttpError(404, { id: 'not_found', message: 'The resource you were accessing could not be found.', request_id: randomUUID() });

const NAME = /^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/;
const TAG = /^[a-zA-Z0-9_\-:]+$/;

export class DigitalOceanState {
  readonly droplets = new Map<number, Droplet>();
  readonly actions = new Map<number, DoAction>();
  readonly images = new Map<number, DoImage>();
  /** Tag name → resources (`droplet:<id>`, `image:<id>`). */
  readonly tags = new Map<string, Set<string>>();
  /** Every droplet ever created (kept after deletion). */
  readonly history: ServerHistoryEntry[] = [];
  readonly events = new EventEmitter();
  readonly booter: Booter;
  readonly timers = new Timers();
  readonly addresses = new AddressPool();
  private nextDropletId = 500_000_001;
  private nextActionId = 2_000_000_001;
  private nextImageId = 180_000_001;
  private readonly vpcs = new Map<string, string>();

  constructor(
    private readonly opts: Required<Pick<DigitalOceanEmulatorOptions, 'actionDelayMs' | 'bootDelayMs'>> & Pick<DigitalOceanEmulatorOptions, 'actionDelays' | 'boot' | 'onBuilderBoot' | 'snapshotBuilder'>,
    private readonly faults: EmulatorCore['faults'],
  ) {
    this.booter = new Booter({
      provider: 'digital-ocean',
      boot: opts.boot,
      onBuilderBoot: opts.onBuilderBoot,
      snapshotBuilder: opts.snapshotBuilder,
      powerOff: (id) => {
        const d = this.droplets.get(Number(id));
        if (!d) return;
        d.status = 'off';
        this.events.emit('droplet:off', d);
      },
      onEvent: (e, r) => (e === 'boot:stopped' ? undefined : this.events.emit(e, r)),
    });
    this.seedImages();
  }

  private seedImages(): void {
    for (const i of distributionImages()) this.images.set(i.id, i);
  }

  async reset(): Promise<void> {
    this.timers.clear();
    await this.booter.stopAll();
    this.booter.clear();
    this.droplets.clear();
    this.history.length = 0;
    this.actions.clear();
    this.images.clear();
    this.tags.clear();
    this.seedImages();
    this.addresses.reset();
    this.nextDropletId = 500_000_001;
    this.nextActionId = 2_000_000_001;
    this.nextImageId = 180_000_001;
  }

  async shutdown(): Promise<void> {
    this.timers.clear();
    await this.booter.stopAll();
  }

  private startAction(type: string, resourceId: number, region: string, delayMs?: number, onDone?: (a: DoAction) => void): DoAction {
    const a: DoAction = { id: this.nextActionId++, status: 'in-progress', type, started_at: iso(), completed_at: null, resource_id: resourceId, resource_type: 'droplet', region_slug: region };
    this.actions.set(a.id, a);
    this.timers.after(delayMs ?? this.opts.actionDelays?.[type] ?? this.opts.actionDelayMs, () => {
      a.status = this.faults.actionFails(type) ? 'errored' : 'completed';
      a.completed_at = iso();
      onDone?.(a);
      this.events.emit('action:finished', a);
    });
    return a;
  }

  private ensureTag(name: string): Set<string> {
    let t = this.tags.get(name);
    if (!t) {
      t = new Set();
      this.tags.set(name, t);
    }
    return t;
  }

  createDroplets(body: unknown): { droplets: Droplet[]; actions: DoAction[]; multiple: boolean } {
    const b = (body ?? {}) as Record<string, unknown>;
    const multiple = Array.isArray(b.names);
    const names = multiple ? (b.names as unknown[]) : [b.name];
    if (!names.length || names.length > 10) throw unprocessable('You must provide between 1 and 10 names.');
    for (const n of names) if (typeof n !== 'string' || !NAME.test(n) || n.length > 255) throw unprocessable(`Name is invalid: ${String(n)}`);
    if (typeof b.size !== 'string') throw unprocessable('You specified an invalid size for Droplet creation.');
    const size = SIZES.find((s) => s.slug === b.size);
    if (!size) throw unprocessable('You specified an invalid size for Droplet creation.');
    const region = b.region === undefined ? 'nyc3' : b.region;
    if (typeof region !== 'string' || !REGIONS.some((r) => r.slug === region)) throw unprocessable('You specified an invalid region for Droplet creation.');
    if (!size.regions.includes(region)) throw unprocessable('Size is not available in this region.');
    const cap = capacityFault(this.faults.config.capacity, size.slug, region);
    if (cap?.code === 'limit_exceeded') throw unprocessable('creating this/these droplet(s) will exceed your droplet limit');
    if (cap) throw unprocessable(cap.code === 'size_unavailable' ? 'Size is not available in this region.' : 'Region is not available');
    const imageRef = b.image;
    const image =
      typeof imageRef === 'number' || (typeof imageRef === 'string' && /^\d+$/.test(imageRef))
        ? this.images.get(Number(imageRef))
        : [...this.images.values()].find((i) => i.slug === imageRef);
    if (!image || image.status !== 'available') throw unprocessable('You specified an invalid image for Droplet creation.');
    if (!image.regions.includes(region)) throw unprocessable('This image is not available in the requested region.');
    if (image.min_disk_size > size.disk) throw unprocessable('The image is too large for this size.');
    const tags = b.tags === undefined || b.tags === null ? [] : b.tags;
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || !TAG.test(t) || t.length > 255)) throw unprocessable('Tags may contain letters, numbers, colons, dashes, and underscores; max 255 characters.');
    const userData = b.user_data === undefined ? '' : b.user_data;
    if (typeof userData !== 'string') throw unprocessable('user_data must be a string.');
    if (Buffer.byteLength(userData) > DIGITAL_OCEAN_USER_DATA_LIMIT) throw unprocessable(`user_data must be at most ${DIGITAL_OCEAN_USER_DATA_LIMIT} bytes.`);

    const droplets: Droplet[] = [];
    const actions: DoAction[] = [];
    for (const name of names as string[]) {
      let vpc = this.vpcs.get(region);
      if (!vpc) this.vpcs.set(region, (vpc = randomUUID()));
      const d: Droplet = {
        id: this.nextDropletId++,
        name,
        status: 'new',
        created_at: iso(),
        size: size.slug,
        region,
        image: { ...image },
        tags: [...new Set(tags as string[])],
        userData,
        ipv4: this.addresses.nextV4(),
        ipv6: b.ipv6 === true ? `${this.addresses.nextV6Net()}1` : null,
        snapshotIds: [],
        vpcUuid: typeof b.vpc_uuid === 'string' ? b.vpc_uuid : vpc,
        monitoring: b.monitoring === true,
        doomed: this.faults.serverVanishes(),
      };
      for (const t of d.tags) this.ensureTag(t).add(`droplet:${d.id}`);
      this.droplets.set(d.id, d);
      this.history.push({ id: d.id, name, instance: ownerOf(undefined, d.tags), created: d.created_at, deleted: null, vanished: false });
      const delay = this.opts.actionDelays?.create ?? this.opts.bootDelayMs;
      actions.push(
        this.startAction('create', d.id, region, delay, (a) => {
          const cur = this.droplets.get(d.id);
          if (!cur || cur.status !== 'new') return;
          if (a.status === 'errored') {
            cur.status = 'off';
            this.events.emit('droplet:off', cur);
            return;
          }
          cur.status = 'active';
          this.events.emit('droplet:active', cur);
          this.booter.start({ id: String(cur.id), name: cur.name, userData: cur.userData, labels: Object.fromEntries(cur.tags.map((t) => [t, ''])), ipv4: cur.ipv4 });
          if (cur.doomed) this.timers.after(this.faults.config.vanishAfterMs, () => void this.vanish(cur.id));
        }),
      );
      droplets.push(d);
      this.events.emit('droplet:created', d);
    }
    return { droplets, actions, multiple };
  }

  deleteDroplet(id: number): void {
    const d = this.droplets.get(id);
    if (!d) throw notFound();
    this.removeDroplet(d);
    this.events.emit('droplet:deleted', d);
  }

  private markGone(id: number, vanished: boolean): void {
    const h = this.history.find((x) => x.id === id && !x.deleted);
    if (h) Object.assign(h, { deleted: iso(), vanished });
  }

  private removeDroplet(d: Droplet): void {
    this.droplets.delete(d.id);
    this.markGone(d.id, false);
    for (const set of this.tags.values()) set.delete(`droplet:${d.id}`);
    void this.booter.stop(String(d.id));
  }

  deleteByTag(tag: string): number {
    const ds = [...this.droplets.values()].filter((d) => d.tags.includes(tag));
    for (const d of ds) {
      this.removeDroplet(d);
      this.events.emit('droplet:deleted', d);
    }
    return ds.length;
  }

  dropletAction(id: number, body: unknown): DoAction {
    const d = this.droplets.get(id);
    if (!d) throw notFound();
    const b = (body ?? {}) as Record<string, unknown>;
    const type = b.type;
    switch (type) {
      case 'power_off':
      case 'shutdown':
        return this.startAction(type, id, d.region, undefined, (a) => {
          if (a.status !== 'completed' || !this.droplets.has(id)) return;
          d.status = 'off';
          void this.booter.stop(String(id));
          this.events.emit('droplet:off', d);
        });
      case 'power_on':
        return this.startAction(type, id, d.region, undefined, (a) => {
          if (a.status === 'completed' && this.droplets.has(id) && d.status === 'off') d.status = 'active';
        });
      case 'reboot':
      case 'power_cycle':
        return this.startAction(type, id, d.region);
      case 'snapshot': {
        if (b.name !== undefined && typeof b.name !== 'string') throw unprocessable('name must be a string.');
        const name = (b.name as string | undefined) ?? `${d.name}-${Date.now()}`;
        return this.startAction('snapshot', id, d.region, undefined, (a) => {
          if (a.status !== 'completed') return;
          const size = SIZES.find((s) => s.slug === d.size)!;
          const img: DoImage = {
            id: this.nextImageId++,
            name,
            type: 'snapshot',
            distribution: d.image.distribution,
            slug: null,
            public: false,
            regions: [d.region],
            created_at: iso(),
            min_disk_size: size.disk,
            size_gigabytes: 1.26,
            description: '',
            tags: [],
            status: 'available',
            error_message: '',
            resourceId: d.id,
          };
          this.images.set(img.id, img);
          if (this.droplets.has(id)) d.snapshotIds.push(img.id);
          this.events.emit('snapshot:available', img);
        });
      }
      default:
        throw unprocessable(`Action type ${String(type)} is not supported by the emulator.`);
    }
  }

  deleteImage(id: number, snapshotsOnly: boolean): void {
    const img = this.images.get(id);
    if (!img) throw notFound();
    if (img.type !== 'snapshot') throw snapshotsOnly ? new HttpError(400, { id: 'bad_request', message: 'the resource is not a snapshot', request_id: randomUUID() }) : unprocessable('Public images cannot be deleted.');
    this.images.delete(id);
    for (const set of this.tags.values()) set.delete(`image:${id}`);
    for (const d of this.droplets.values()) d.snapshotIds = d.snapshotIds.filter((x) => x !== id);
  }

  createTag(body: unknown): string {
    const name = (body as Record<string, unknown> | null)?.name;
    if (typeof name !== 'string' || !TAG.test(name) || name.length > 255) throw new HttpError(400, { id: 'bad_request', message: 'tag name is invalid', request_id: randomUUID() });
    this.ensureTag(name);
    return name;
  }

  tagResources(tag: string, body: unknown): void {
    const set = this.tags.get(tag);
    if (!set) throw notFound();
    const resources = (body as Record<string, unknown> | null)?.resources;
    if (!Array.isArray(resources) || !resources.length) throw unprocessable('resources must be a non-empty array.');
    for (const r of resources as { resource_id?: unknown; resource_type?: unknown }[]) {
      const id = Number(r.resource_id);
      if (r.resource_type === 'droplet') {
        const d = this.droplets.get(id);
        if (!d) throw notFound();
        if (!d.tags.includes(tag)) d.tags.push(tag);
        set.add(`droplet:${id}`);
      } else if (r.resource_type === 'image' || r.resource_type === 'volume_snapshot') {
        const i = this.images.get(id);
        if (!i || i.type !== 'snapshot') throw notFound();
        if (!i.tags.includes(tag)) i.tags.push(tag);
        set.add(`image:${id}`);
      } else throw unprocessable(`resource_type ${String(r.resource_type)} is not supported by the emulator.`);
    }
  }

  /** Delete a droplet out from under Hangar. */
  async vanish(id: number): Promise<boolean> {
    const d = this.droplets.get(id);
    if (!d) return false;
    this.droplets.delete(id);
    this.markGone(id, true);
    for (const set of this.tags.values()) set.delete(`droplet:${id}`);
    this.events.emit('droplet:vanished', d);
    await this.booter.stop(String(id));
    return true;
  }

  // -- JSON renderers -----------------------------------------------------------------------

  regionJson(slug: string): Record<string, unknown> {
    const r = REGIONS.find((x) => x.slug === slug)!;
    return {
      name: r.name,
      slug: r.slug,
      features: ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'],
      available: true,
      sizes: SIZES.filter((s) => s.regions.includes(slug)).map((s) => s.slug),
    };
  }

  sizeJson(s: SizeDef): Record<string, unknown> {
    return {
      slug: s.slug,
      memory: s.memory,
      vcpus: s.vcpus,
      disk: s.disk,
      transfer: s.transfer,
      price_monthly: s.price_monthly,
      price_hourly: Math.round((s.price_monthly / 672) * 100000) / 100000,
      regions: s.regions,
      available: true,
      description: s.description,
      disk_info: [{ type: 'local', size: { amount: s.disk, unit: 'gib' } }],
    };
  }

  imageJson(i: DoImage): Record<string, unknown> {
    const { resourceId: _r, ...rest } = i;
    return { ...rest, regions: [...i.regions], tags: [...i.tags] };
  }

  snapshotJson(i: DoImage): Record<string, unknown> {
    return {
      id: String(i.id),
      name: i.name,
      created_at: i.created_at,
      regions: [...i.regions],
      min_disk_size: i.min_disk_size,
      size_gigabytes: i.size_gigabytes,
      resource_id: String(i.resourceId ?? ''),
      resource_type: 'droplet',
      tags: [...i.tags],
    };
  }

  /** An entry of `GET /v2/droplets/{id}/snapshots` (integer ids, unlike `/v2/snapshots`). */
  dropletSnapshotJson(i: DoImage): Record<string, unknown> {
    return {
      id: i.id,
      name: i.name,
      distribution: i.distribution,
      slug: null,
      public: false,
      regions: [...i.regions],
      created_at: i.created_at,
      min_disk_size: i.min_disk_size,
      size_gigabytes: i.size_gigabytes,
      type: 'snapshot',
    };
  }

  dropletJson(d: Droplet): Record<string, unknown> {
    const size = SIZES.find((s) => s.slug === d.size)!;
    const live = d.status !== 'new';
    return {
      id: d.id,
      name: d.name,
      memory: size.memory,
      vcpus: size.vcpus,
      disk: size.disk,
      disk_info: [{ type: 'local', size: { amount: size.disk, unit: 'gib' } }],
      locked: false,
      status: d.status,
      kernel: null,
      created_at: d.created_at,
      features: ['droplet_agent', 'private_networking', ...(d.ipv6 ? ['ipv6'] : []), ...(d.monitoring ? ['monitoring'] : [])],
      backup_ids: [],
      next_backup_window: null,
      snapshot_ids: [...d.snapshotIds],
      image: this.imageJson(d.image),
      volume_ids: [],
      size: this.sizeJson(size),
      size_slug: size.slug,
      networks: {
        v4: live ? [{ ip_address: d.ipv4, netmask: '255.255.255.0', gateway: `${d.ipv4.split('.').slice(0, 3).join('.')}.1`, type: 'public' }] : [],
        v6: live && d.ipv6 ? [{ ip_address: d.ipv6, netmask: 64, gateway: d.ipv6.replace(/::1$/, '::ffff'), type: 'public' }] : [],
      },
      region: this.regionJson(d.region),
      tags: [...d.tags],
      vpc_uuid: d.vpcUuid,
    };
  }

  actionJson(a: DoAction): Record<string, unknown> {
    return { ...a, region: a.region_slug ? this.regionJson(a.region_slug) : undefined };
  }

  tagJson(name: string): Record<string, unknown> {
    const set = this.tags.get(name) ?? new Set<string>();
    const count = (prefix: string) => [...set].filter((x) => x.startsWith(prefix)).length;
    const droplets = count('droplet:');
    const images = count('image:');
    return {
      name,
      resources: {
        count: set.size,
        droplets: { count: droplets },
        images: { count: images },
        volumes: { count: 0 },
        volume_snapshots: { count: 0 },
        databases: { count: 0 },
      },
    };
  }

  snapshot(): Record<string, unknown> {
    return {
      droplets: [...this.droplets.values()].map((d) => ({ id: d.id, name: d.name, status: d.status, tags: d.tags, size: d.size, region: d.region, ipv4: d.ipv4, image: d.image.id, created_at: d.created_at, doomed: d.doomed })),
      actions: [...this.actions.values()].map((a) => ({ ...a })),
      images: [...this.images.values()].filter((i) => i.type === 'snapshot').map((i) => this.imageJson(i)),
      tags: Object.fromEntries([...this.tags.entries()].map(([k, v]) => [k, [...v]])),
      boots: this.booter.records.map((r) => ({ ...r })),
      history: this.history.map((h) => ({ ...h })),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

/** DigitalOcean pagination: `links.pages` with absolute URLs back to this emulator, `meta.total`. */
function paginate<T>(items: T[], c: Ctx): { items: T[]; links: Record<string, unknown>; meta: { total: number } } {
  const page = intParam(c.query, 'page', (m) => unprocessable(m)) ?? 1;
  const perPage = intParam(c.query, 'per_page', (m) => unprocessable(m)) ?? 20;
  if (page < 1) throw unprocessable('page must be at least 1');
  if (perPage < 1 || perPage > DIGITAL_OCEAN_MAX_PER_PAGE) throw unprocessable(`per_page must be between 1 and ${DIGITAL_OCEAN_MAX_PER_PAGE}`);
  const total = items.length;
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number) => {
    const q = new URLSearchParams(c.query);
    q.set('page', String(p));
    q.set('per_page', String(perPage));
    return `${c.origin}${c.path}?${q.toString()}`;
  };
  const pages: Record<string, string> = {};
  if (page > 1) Object.assign(pages, { first: link(1), prev: link(Math.min(page - 1, last)) });
  if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
  return { items: items.slice((page - 1) * perPage, page * perPage), links: Object.keys(pages).length ? { pages } : {}, meta: { total } };
}

const idParam = (c: Ctx, name: string): number => {
  const v = c.params[name];
  if (!/^\d+$/.test(v)) throw notFound();
  return Number(v);
};

function routes(st: DigitalOceanState): Route[] {
  const P = DIGITAL_OCEAN_BASE_PATH;
  const ok = (body: unknown, status = 200): Reply => ({ status, body });
  return [
    {
      method: 'POST',
      path: `${P}/droplets`,
      handler: (c) => {
        const r = st.createDroplets(c.body);
        const links = { actions: r.actions.map((a) => ({ id: a.id, rel: 'create', href: `${c.origin}${P}/actions/${a.id}` })) };
        return r.multiple ? ok({ droplets: r.droplets.map((d) => st.dropletJson(d)), links }, 202) : ok({ droplet: st.dropletJson(r.droplets[0]), links }, 202);
      },
    },
    {
      method: 'GET',
      path: `${P}/droplets`,
      handler: (c) => {
        const tag = c.query.get('tag_name');
        const name = c.query.get('name');
        const list = [...st.droplets.values()].filter((d) => (tag === null || d.tags.includes(tag)) && (name === null || d.name === name)).sort((a, b) => a.id - b.id);
        const { items, links, meta } = paginate(list, c);
        return ok({ droplets: items.map((d) => st.dropletJson(d)), links, meta });
      },
    },
    {
      method: 'DELETE',
      path: `${P}/droplets`,
      handler: (c) => {
        const tag = c.query.get('tag_name');
        if (!tag) throw unprocessable('tag_name is required.');
        st.deleteByTag(tag);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${P}/droplets/{droplet_id}`,
      handler: (c) => {
        const d = st.droplets.get(idParam(c, 'droplet_id'));
        if (!d) throw notFound();
        return ok({ droplet: st.dropletJson(d) });
      },
    },
    {
      method: 'DELETE',
      path: `${P}/droplets/{droplet_id}`,
      handler: (c) => {
        st.deleteDroplet(idParam(c, 'droplet_id'));
        return { status: 204 };
      },
    },
    { method: 'POST', path: `${P}/droplets/{droplet_id}/actions`, handler: (c) => ok({ action: st.actionJson(st.dropletAction(idParam(c, 'droplet_id'), c.body)) }, 201) },
    {
      method: 'GET',
      path: `${P}/droplets/{droplet_id}/snapshots`,
      handler: (c) => {
        const d = st.droplets.get(idParam(c, 'droplet_id'));
        if (!d) throw notFound();
        const list = d.snapshotIds.map((id) => st.images.get(id)).filter((i): i is DoImage => !!i);
        const { items, links, meta } = paginate(list, c);
        return ok({ snapshots: items.map((i) => st.dropletSnapshotJson(i)), links, meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/droplets/{droplet_id}/actions/{action_id}`,
      handler: (c) => {
        const a = st.actions.get(idParam(c, 'action_id'));
        if (!a || a.resource_id !== Number(c.params.droplet_id)) throw notFound();
        return ok({ action: st.actionJson(a) });
      },
    },
    {
      method: 'GET',
      path: `${P}/actions/{action_id}`,
      handler: (c) => {
        const a = st.actions.get(idParam(c, 'action_id'));
        if (!a) throw notFound();
        return ok({ action: st.actionJson(a) });
      },
    },
    {
      method: 'GET',
      path: `${P}/sizes`,
      handler: (c) => {
        const { items, links, meta } = paginate(SIZES, c);
        return ok({ sizes: items.map((s) => st.sizeJson(s)), links, meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/regions`,
      handler: (c) => {
        const { items, links, meta } = paginate(REGIONS, c);
        return ok({ regions: items.map((r) => st.regionJson(r.slug)), links, meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/images`,
      handler: (c) => {
        const type = c.query.get('type');
        const priv = c.query.get('private');
        const tag = c.query.get('tag_name');
        const list = [...st.images.values()]
          .filter(
            (i) =>
              (type === null || (type === 'distribution' && i.type === 'base')) && // the emulator has no application images
              (priv !== 'true' || !i.public) &&
              (tag === null || i.tags.includes(tag)),
          )
          .sort((a, b) => a.id - b.id);
        const { items, links, meta } = paginate(list, c);
        return ok({ images: items.map((i) => st.imageJson(i)), links, meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/images/{image_id}`,
      handler: (c) => {
        const ref = c.params.image_id;
        const i = /^\d+$/.test(ref) ? st.images.get(Number(ref)) : [...st.images.values()].find((x) => x.slug === ref);
        if (!i) throw notFound();
        return ok({ image: st.imageJson(i) });
      },
    },
    {
      method: 'DELETE',
      path: `${P}/images/{image_id}`,
      handler: (c) => {
        st.deleteImage(idParam(c, 'image_id'), false);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${P}/snapshots`,
      handler: (c) => {
        const rt = c.query.get('resource_type');
        const list = rt === 'volume' ? [] : [...st.images.values()].filter((i) => i.type === 'snapshot').sort((a, b) => a.id - b.id);
        const { items, links, meta } = paginate(list, c);
        return ok({ snapshots: items.map((i) => st.snapshotJson(i)), links, meta });
      },
    },
    {
      method: 'GET',
      path: `${P}/snapshots/{snapshot_id}`,
      handler: (c) => {
        const i = st.images.get(idParam(c, 'snapshot_id'));
        if (!i || i.type !== 'snapshot') throw notFound();
        return ok({ snapshot: st.snapshotJson(i) });
      },
    },
    {
      method: 'DELETE',
      path: `${P}/snapshots/{snapshot_id}`,
      handler: (c) => {
        st.deleteImage(idParam(c, 'snapshot_id'), true);
        return { status: 204 };
      },
    },
    { method: 'POST', path: `${P}/tags`, handler: (c) => ok({ tag: st.tagJson(st.createTag(c.body)) }, 201) },
    {
      method: 'GET',
      path: `${P}/tags/{tag_id}`,
      handler: (c) => {
        if (!st.tags.has(c.params.tag_id)) throw notFound();
        return ok({ tag: st.tagJson(c.params.tag_id) });
      },
    },
    {
      method: 'POST',
      path: `${P}/tags/{tag_id}/resources`,
      handler: (c) => {
        st.tagResources(c.params.tag_id, c.body);
        return { status: 204 };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Start

export interface DigitalOceanEmulator extends EmulatorControls {
  state: DigitalOceanState;
  /** Delete a droplet out from under Hangar (its booted agent is stopped). */
  vanish(id: number | string): Promise<boolean>;
  waitForDroplet(id: number, status: DropletStatus | 'gone', timeoutMs?: number): Promise<void>;
}

export async function startDigitalOceanEmulator(opts: DigitalOceanEmulatorOptions = {}): Promise<DigitalOceanEmulator> {
  const tokens = opts.tokens ?? ['test-token'];
  let state!: DigitalOceanState;
  const core = new EmulatorCore({
    vendor: doVendor,
    routes: [],
    tokens,
    rateLimit: opts.rateLimit ?? DIGITAL_OCEAN_RATE_LIMIT,
    faults: { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.faults ?? {}) },
    snapshot: () => state.snapshot(),
    resetState: () => state.reset(),
    vanish: (id) => state.vanish(Number(id)),
  });
  state = new DigitalOceanState({ actionDelayMs: opts.actionDelayMs ?? 100, bootDelayMs: opts.bootDelayMs ?? 200, actionDelays: opts.actionDelays, boot: opts.boot, onBuilderBoot: opts.onBuilderBoot, snapshotBuilder: opts.snapshotBuilder }, core.faults);
  core.addRoutes(routes(state));
  await core.listen(opts.port ?? 0, opts.host);
  return {
    ...controls(core, DIGITAL_OCEAN_BASE_PATH, tokens, () => state.shutdown(), () => state.reset()),
    state,
    vanish: (id) => state.vanish(Number(id)),
    waitForDroplet: (id, status, timeoutMs = 10_000) =>
      waitUntil(() => (status === 'gone' ? !state.droplets.has(id) : state.droplets.get(id)?.status === status), timeoutMs, `droplet ${id} to be ${status}`),
  };
}
