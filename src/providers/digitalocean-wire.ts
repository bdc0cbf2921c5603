/** DigitalOcean API v2 objects as Hangar reads them (the fields it uses; see the vendor's OpenAPI in shared/specs). */

export interface DoNetwork {
  ip_address?: string;
  type?: 'public' | 'private';
}

export interface DoDroplet {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  created_at: string;
  networks: { v4?: DoNetwork[]; v6?: DoNetwork[] };
  region: { slug: string; name: string };
  size_slug: string;
  image: { id?: number; slug?: string | null; name?: string };
  tags: string[];
}

export interface DoAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  started_at?: string;
  completed_at?: string | null;
  resource_id?: number | null;
  resource_type?: string;
}

export interface DoSize {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  price_monthly: number;
  price_hourly: number;
  regions: string[];
  available: boolean;
  description: string;
}

export interface DoRegion {
  name: string;
  slug: string;
  available: boolean;
}

export interface DoImage {
  id: number;
  name: string;
  type?: string;
  distribution?: string;
  slug?: string | null;
  public?: boolean;
  regions?: string[];
  created_at?: string;
  size_gigabytes?: number | null;
  description?: string;
  tags?: string[] | null;
  status?: string;
}

/** An entry of `GET /v2/snapshots` (ids are strings there). */
export interface DoSnapshot {
  id: string;
  name: string;
  created_at: string;
  regions: string[];
  size_gigabytes: number;
  resource_id: string;
  resource_type: 'droplet' | 'volume';
  tags: string[] | null;
}

/** An entry of `GET /v2/droplets/{id}/snapshots` (ids are integers there). */
export interface DoDropletSnapshot {
  id: number;
  name: string;
  created_at: string;
  regions: string[];
  size_gigabytes: number;
  type: 'snapshot' | 'backup';
}

// ---- options ----
