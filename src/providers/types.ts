/**
 * The one interface every place Hangar can put a server implements: `local` (child processes),
 * `hetzner`, `digital-ocean` and `ssh`. Sized after Cluster API's provider contract:
 * find-by-label before create, adopt on name conflict, not-found on delete counts as done.
 */
import type { BootstrapInput } from '../bootstrap/types.ts';
import type { ProviderName } from '../domain/providers.ts';

export type { ProviderName } from '../domain/providers.ts';

export interface ServerSpec {
  /** Deterministic name, `hangar-<slug>-<short id>`. */
  name: string;
  /** Ownership labels (`hangar.dev/installation`, `hangar.dev/instance`); DO maps them to tags. */
  labels: Record<string, string>;
  location?: string;
  serverType?: string;
  /** Image name (`ubuntu-24.04`) or snapshot id. */
  image?: string;
  /** Rendered cloud-init user-data (carries only the one-time bootstrap token). */
  userData: string;
  /**
   * What `userData` was rendered from. Providers that start the agent themselves instead of
   * booting cloud-init (`local`, `ssh`) need it: they hand the agent `bootstrap.bootstrap` (its
   * bootstrap.json) and never read user-data back. Clouds ignore it.
   */
  bootstrap?: BootstrapInput;
  sshKeys?: string[];
}

export type ServerStatus = 'creating' | 'running' | 'off' | 'deleting' | 'unknown';

export interface ServerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  status: ServerStatus;
  ipv4?: string | null;
  ipv6?: string | null;
  location?: string | null;
  serverType?: string | null;
  image?: string | null;
  createdAt?: string | null;
}

export interface Price {
  location: string;
  /** Gross (what the account is charged). */
  hourly: number;
  monthly: number;
  currency: string;
  /** Net of VAT, where the cloud lists it (Hetzner). */
  hourlyNet?: number;
  monthlyNet?: number;
}

export interface ServerType {
  name: string;
  description?: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  architecture?: string;
  prices: Price[];
}

export interface Location {
  name: string;
  description?: string;
  country?: string;
  city?: string;
}

export interface Image {
  id: string;
  name: string;
  description?: string;
  kind: 'system' | 'snapshot';
  labels: Record<string, string>;
  createdAt?: string | null;
  sizeGb?: number | null;
  locations?: string[];
}

export interface FindQuery {
  labels?: Record<string, string>;
  name?: string;
}

export interface CloudProvider {
  readonly name: ProviderName;
  /** Largest user-data the provider accepts, in bytes (Hetzner 32 KiB, DO 64 KiB). */
  readonly userDataLimit: number;
  /** Create one server. Throws ProviderError (`uniqueness_error`, `rate_limit_exceeded`, …). */
  createServer(spec: ServerSpec): Promise<ServerInfo>;
  /** Servers matching every given label (and the name, if given). Paginates fully. */
  findServers(query: FindQuery): Promise<ServerInfo[]>;
  /** A server by id, or null when it no longer exists. */
  getServer(id: string): Promise<ServerInfo | null>;
  /** Delete a server; a server that is already gone counts as deleted. */
  deleteServer(id: string): Promise<void>;
  listServerTypes(): Promise<ServerType[]>;
  /** The server type and location a create that names neither gets (clouds only). */
  defaultPlacement?(): { serverType: string; location: string };
  listLocations(): Promise<Location[]>;
  /** System images and snapshots; `labels` filters snapshots by label. */
  listImages(query?: { kind?: 'system' | 'snapshot'; labels?: Record<string, string> }): Promise<Image[]>;
  /** Power a server off (before imaging). Optional: local and ssh have nothing to power off. */
  powerOff?(id: string): Promise<void>;
  /** Power a (kept, powered-off) server on again: `hangar start` after `stop --keep-server`. */
  powerOn?(id: string): Promise<void>;
  /** Image a server into a labelled snapshot; resolves when the snapshot is available. */
  createSnapshot?(serverId: string, description: string, labels: Record<string, string>): Promise<Image>;
  deleteSnapshot?(id: string): Promise<void>;
}
