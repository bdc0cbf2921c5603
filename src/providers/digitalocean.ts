/**
 * DigitalOcean provider over the shared REST client, following DigitalOcean's OpenAPI description
 * (`specs/digitalocean.openapi.yaml`). Droplet names are not unique on DigitalOcean, so
 * tags are the ledger: labels become tags (`hangar-instance-<id>`, see {@link labelsToTags}), and
 * servers are found with `GET /v2/droplets?tag_name=` (one tag; the rest are filtered locally).
 *
 * Snapshots: the `snapshot` droplet action takes only a name, so the snapshot is labelled after
 * it exists: Hangar finds it among the droplet's snapshots by that name and tags it with
 * `POST /v2/tags/{tag}/resources` (`resource_type: image`). The step is idempotent: a retried
 * `createSnapshot` with the same name adopts the snapshot it finds instead of taking another, so
 * a crash between "snapshot taken" and "tagged" heals on the retry.
 *
 * @example
 * const doP = digitalOceanFromEnv(process.env);
 * await doP?.createServer({ name, labels, userData, image: 'ubuntu-24-04-x64' });
 */
import { ProviderError } from '../domain/errors.ts';
import { LABEL_INSTANCE, labelsToTags, tagsToLabels } from '../domain/names.ts';
import { pollAction } from '../http/actions.ts';
import { seg, type FetchLike, type RestClient, type RestClientOptions } from '../http/client.ts';
import { systemClock, type Clock } from '../http/clock.ts';
import { digitalOceanPages } from '../http/pagination.ts';
import { DIGITAL_OCEAN_RATE_LIMIT } from '../http/policies.ts';
import { doCapacityError as capacityError } from './capacity.ts';
import { cloudClient } from './cloud-client.ts';
import type { CloudProvider, FindQuery, Image, Location, ServerInfo, ServerSpec, ServerStatus, ServerType } from './types.ts';

const DIGITAL_OCEAN_DEFAULT_ENDPOINT = 'https://api.digitalocean.com';

// ---- wire types (the fields Hangar reads) ----

export type { DoNetwork, DoDroplet, DoAction, DoSize, DoRegion, DoImage, DoSnapshot, DoDropletSnapshot } from './digitalocean-wire.ts';
import type { DoNetwork, DoDroplet, DoAction, DoSize, DoRegion, DoImage, DoSnapshot, DoDropletSnapshot } from './digitalocean-wire.ts';

export interface DigitalOceanOptions {
  token: string;
  /** Default https://api.digitalocean.com (env `DIGITALOCEAN_API_URL`); paths carry `/v2`. */
  baseUrl?: string;
  fetch?: FetchLike;
  clock?: Clock;
  timeoutMs?: number;
  defaults?: { size?: string; region?: string; image?: string; sshKeys?: string[] };
  /** Wait for power-off and snapshot actions to complete (default true). */
  waitForActions?: boolean;
  /** Default 30 minutes. */
  actionTimeoutMs?: number;
  actionPoll?: { initialMs?: number; maxMs?: number };
  rest?: Partial<RestClientOptions>;
}

const STATUS: Record<DoDroplet['status'], ServerStatus> = {
  new: 'creating',
  active: 'running',
  off: 'off',
  archive: 'deleting',
};

/** Country of a region by its slug prefix (DigitalOcean's API does not say). */
const COUNTRY: Record<string, string> = {
  nyc: 'US', sfo: 'US', atl: 'US', ric: 'US', tor: 'CA', ams: 'NL', lon: 'GB', fra: 'DE', sgp: 'SG', blr: 'IN', syd: 'AU',
};

function isId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

/** DigitalOcean takes snapshot ids as numbers and image slugs as strings. */
function imageRef(image: string): string | number {
  return isId(image) ? Number(image) : image;
}

function publicIp(list: DoNetwork[] | undefined): string | null {
  return list?.find((n) => n.type === 'public')?.ip_address ?? null;
}

function mapDroplet(d: DoDroplet): ServerInfo {
  return {
    id: String(d.id),
    name: d.name,
    labels: tagsToLabels(d.tags ?? []),
    status: STATUS[d.status] ?? 'unknown',
    ipv4: publicIp(d.networks?.v4),
    ipv6: publicIp(d.networks?.v6),
    location: d.region?.slug ?? null,
    serverType: d.size_slug ?? null,
    image: d.image?.slug ?? (d.image?.id != null ? String(d.image.id) : null),
    createdAt: d.created_at ?? null,
  };
}

function mapSnapshot(s: DoSnapshot | DoDropletSnapshot, labels: Record<string, string>): Image {
  return {
    id: String(s.id),
    name: s.name,
    kind: 'snapshot',
    labels,
    createdAt: s.created_at ?? null,
    sizeGb: s.size_gigabytes ?? null,
    locations: s.regions,
  };
}

/** DigitalOcean as a {@link CloudProvider}. */
export class DigitalOceanProvider implements CloudProvider {
  readonly name = 'digital-ocean' as const;
  readonly userDataLimit = 64 * 1024;
  readonly api: RestClient;
  private readonly opts: DigitalOceanOptions;
  private readonly clock: Clock;

  constructor(opts: DigitalOceanOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.api = cloudClient('digital-ocean', DIGITAL_OCEAN_DEFAULT_ENDPOINT, DIGITAL_OCEAN_RATE_LIMIT, opts, this.clock);
  }

  async createServer(spec: ServerSpec): Promise<ServerInfo> {
    const size = Buffer.byteLength(spec.userData, 'utf8');
    if (size > this.userDataLimit) {
      throw new ProviderError('digital-ocean', 'user_data_too_large', `user-data is ${size} bytes; DigitalOcean accepts ${this.userDataLimit}`);
    }
    const d = this.opts.defaults ?? {};
    const sshKeys = spec.sshKeys ?? d.sshKeys;
    const body = {
      name: spec.name,
      region: spec.location ?? d.region ?? 'fra1',
      size: spec.serverType ?? d.size ?? 's-1vcpu-2gb',
      image: imageRef(spec.image ?? d.image ?? 'ubuntu-24-04-x64'),
      tags: labelsToTags(spec.labels),
      user_data: spec.userData,
      ...(sshKeys?.length ? { ssh_keys: sshKeys.map((k) => (isId(k) ? Number(k) : k)) } : {}),
    };
    // 202 Accepted. Not retried on 5xx/timeouts: names are not unique here, so a blind retry
    // could make a twin. The caller looks the droplet up by tag first.
    try {
      const res = await this.api.post<{ droplet: DoDroplet }>('/v2/droplets', body);
      return mapDroplet(res.droplet);
    } catch (err) {
      throw capacityError(err, body.region, body.size);
    }
  }

  /** The size and region a create without them gets. */
  defaultPlacement(): { serverType: string; location: string } {
    const d = this.opts.defaults ?? {};
    return { serverType: d.size ?? 's-1vcpu-2gb', location: d.region ?? 'fra1' };
  }

  async findServers(query: FindQuery): Promise<ServerInfo[]> {
    const tags = labelsToTags(query.labels ?? {});
    // Ask for the most selective tag (the instance's, when given): one page instead of every
    // droplet of the installation.
    const instanceTag = query.labels?.[LABEL_INSTANCE] !== undefined ? labelsToTags({ [LABEL_INSTANCE]: query.labels[LABEL_INSTANCE] })[0] : undefined;
    let droplets: DoDroplet[];
    if (tags.length) droplets = await digitalOceanPages<DoDroplet>(this.api, '/v2/droplets', 'droplets', { tag_name: instanceTag ?? tags[0] });
    else if (query.name) droplets = await digitalOceanPages<DoDroplet>(this.api, '/v2/droplets', 'droplets', { name: query.name });
    else droplets = await digitalOceanPages<DoDroplet>(this.api, '/v2/droplets', 'droplets');
    return droplets
      .filter((d) => tags.every((t) => (d.tags ?? []).includes(t)) && (!query.name || d.name === query.name))
      .map(mapDroplet);
  }

  async getServer(id: string): Promise<ServerInfo | null> {
    if (!isId(id)) return null;
    const res = await this.api.getOrNull<{ droplet: DoDroplet }>(`/v2/droplets/${seg(id)}`);
    return res ? mapDroplet(res.droplet) : null;
  }

  async deleteServer(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.api.deleteIfExists(`/v2/droplets/${seg(id)}`);
  }

  /** Available sizes with their price in every region that offers them (USD). */
  async listServerTypes(): Promise<ServerType[]> {
    const sizes = await digitalOceanPages<DoSize>(this.api, '/v2/sizes', 'sizes');
    return sizes
      .filter((s) => s.available !== false)
      .map((s) => ({
        name: s.slug,
        description: s.description,
        cores: s.vcpus,
        memoryGb: s.memory / 1024,
        diskGb: s.disk,
        architecture: 'x86',
        prices: (s.regions ?? []).map((r) => ({ location: r, hourly: s.price_hourly, monthly: s.price_monthly, currency: 'USD' })),
      }));
  }

  async listLocations(): Promise<Location[]> {
    const regions = await digitalOceanPages<DoRegion>(this.api, '/v2/regions', 'regions');
    return regions
      .filter((r) => r.available !== false)
      .map((r) => ({ name: r.slug, description: r.name, city: r.name.replace(/\s*\d+$/, ''), country: COUNTRY[r.slug.replace(/\d+$/, '')] }));
  }

  /**
   * Distribution images (`/v2/images?type=distribution`; `name` is the slug to create from) and
   * droplet snapshots (`/v2/snapshots?resource_type=droplet`, labels read back from their tags).
   */
  async listImages(query: { kind?: 'system' | 'snapshot'; labels?: Record<string, string> } = {}): Promise<Image[]> {
    const out: Image[] = [];
    if (query.kind !== 'snapshot') {
      const images = await digitalOceanPages<DoImage>(this.api, '/v2/images', 'images', { type: 'distribution' });
      for (const i of images) {
        if (i.status && i.status !== 'available') continue;
        out.push({
          id: String(i.id),
          name: i.slug ?? String(i.id),
          description: [i.distribution, i.name].filter(Boolean).join(' '),
          kind: 'system',
          labels: {},
          createdAt: i.created_at ?? null,
          sizeGb: i.size_gigabytes ?? null,
          locations: i.regions,
        });
      }
    }
    if (query.kind !== 'system') {
      const want = labelsToTags(query.labels ?? {});
      const snaps = await digitalOceanPages<DoSnapshot>(this.api, '/v2/snapshots', 'snapshots', { resource_type: 'droplet' });
      for (const s of snaps) {
        if (s.resource_type !== 'droplet') continue;
        const tags = s.tags ?? [];
        if (!want.every((t) => tags.includes(t))) continue;
        out.push(mapSnapshot(s, tagsToLabels(tags)));
      }
    }
    return out;
  }

  async powerOff(id: string): Promise<void> {
    const res = await this.api.post<{ action: DoAction }>(`/v2/droplets/${seg(id)}/actions`, { type: 'power_off' }, { safe: true });
    if (this.opts.waitForActions !== false) await this.waitForAction(res.action);
  }

  /** Power a droplet on (`power_on` action); waits for the action. */
  async powerOn(id: string): Promise<void> {
    const res = await this.api.post<{ action: DoAction }>(`/v2/droplets/${seg(id)}/actions`, { type: 'power_on' }, { safe: true });
    if (this.opts.waitForActions !== false) await this.waitForAction(res.action);
  }

  /**
   * Snapshot a droplet under the name `description`, tag it with the labels, and return it.
   * Adopts an existing snapshot of the same droplet with that name (a retried step).
   */
  async createSnapshot(serverId: string, description: string, labels: Record<string, string>): Promise<Image> {
    let snap = await this.findDropletSnapshot(serverId, description);
    if (!snap) {
      const res = await this.api.post<{ action: DoAction }>(`/v2/droplets/${seg(serverId)}/actions`, { type: 'snapshot', name: description });
      if (this.opts.waitForActions !== false) await this.waitForAction(res.action);
      snap = await this.findDropletSnapshot(serverId, description);
      if (!snap) {
        throw new ProviderError('digital-ocean', 'snapshot_not_found', `droplet ${serverId} has no snapshot named ${JSON.stringify(description)} yet`, undefined, true);
      }
    }
    const tags = labelsToTags(labels);
    await this.tagResource(tags, String(snap.id), 'image');
    return mapSnapshot(snap, tagsToLabels(tags));
  }

  /** The newest snapshot of a droplet with this name, or null. */
  async findDropletSnapshot(dropletId: string, name: string): Promise<DoDropletSnapshot | null> {
    if (!isId(dropletId)) return null;
    const snaps = await digitalOceanPages<DoDropletSnapshot>(this.api, `/v2/droplets/${seg(dropletId)}/snapshots`, 'snapshots');
    const matching = snaps.filter((s) => s.name === name && s.type !== 'backup');
    matching.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    return matching[0] ?? null;
  }

  /** Create each tag (idempotent) and attach it to a resource. */
  async tagResource(tags: string[], resourceId: string, resourceType: 'droplet' | 'image' | 'volume' | 'volume_snapshot'): Promise<void> {
    for (const tag of tags) {
      try {
        await this.api.post('/v2/tags', { name: tag }, { safe: true });
      } catch (err) {
        // An existing tag may answer with a conflict; assigning below fails loudly if it is missing.
        if (!(err instanceof ProviderError && (err.httpStatus === 409 || err.httpStatus === 422))) throw err;
      }
      await this.api.post(`/v2/tags/${seg(tag)}/resources`, { resources: [{ resource_id: resourceId, resource_type: resourceType }] }, { safe: true });
    }
  }

  async deleteSnapshot(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.api.deleteIfExists(`/v2/snapshots/${seg(id)}`);
  }

  async getAction(id: number | string): Promise<DoAction> {
    return (await this.api.get<{ action: DoAction }>(`/v2/actions/${seg(id)}`)).action;
  }

  /**
   * Poll `GET /v2/actions/{id}` with backoff until `completed`. `errored` throws
   * `action_errored`; still in progress after `timeoutMs` throws `action_timeout` (retryable).
   */
  async waitForAction(action: DoAction | number, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DoAction> {
    return pollAction(action, {
      provider: 'digital-ocean',
      clock: this.clock,
      timeoutMs: o.timeoutMs ?? this.opts.actionTimeoutMs ?? 30 * 60_000,
      poll: this.opts.actionPoll,
      signal: o.signal,
      get: (id) => this.getAction(id),
      outcome: (a) => (a.status === 'completed' ? 'done' : a.status === 'errored' ? new ProviderError('digital-ocean', 'action_errored', `action ${a.id} (${a.type}) errored`) : null),
      describe: (a) => `action ${a.id} (${a.type}) still ${a.status}`,
    });
  }
}

/**
 * The base URL the API's paths (which carry `/v2`) go under, from a URL given with or without
 * its `/v2` (and trailing slashes): the emulator prints `http://127.0.0.1:4011/v2`.
 *
 * @example
 * digitalOceanBaseUrl('http://127.0.0.1:4011/v2') // → 'http://127.0.0.1:4011'
 * digitalOceanBaseUrl('https://api.digitalocean.com/') // → 'https://api.digitalocean.com'
 */
export function digitalOceanBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v2$/, '');
}

/**
 * A DigitalOcean provider from the environment, or null when no token is set.
 * Reads `DIGITALOCEAN_API_TOKEN` (or `DIGITALOCEAN_TOKEN`, or doctl's `DIGITALOCEAN_ACCESS_TOKEN`)
 * and `DIGITALOCEAN_API_URL` (with or without `/v2`).
 */
export function digitalOceanFromEnv(env: Record<string, string | undefined> = process.env, overrides: Partial<DigitalOceanOptions> = {}): DigitalOceanProvider | null {
  const token = env.DIGITALOCEAN_API_TOKEN?.trim() || env.DIGITALOCEAN_TOKEN?.trim() || env.DIGITALOCEAN_ACCESS_TOKEN?.trim();
  if (!token) return null;
  return new DigitalOceanProvider({ token, baseUrl: env.DIGITALOCEAN_API_URL?.trim() ? digitalOceanBaseUrl(env.DIGITALOCEAN_API_URL) : DIGITAL_OCEAN_DEFAULT_ENDPOINT, ...overrides });
}
