/**
 * Tailscale API client: single-use, ephemeral, pre-authorized auth keys for new servers, device
 * lookup by hostname, and cleanup. Authenticates with an API access token, or with an OAuth
 * client whose access token is exchanged at `${baseUrl}/oauth/token` (client credentials,
 * form-encoded) and cached until shortly before it expires. Paths follow Tailscale's OpenAPI
 * description (`specs/tailscale.openapi.json`), which is relative to `/api/v2`.
 *
 * @example
 * const ts = tailscaleFromEnv(process.env);
 * const { id, key } = await ts!.createAuthKey({ tags: ['tag:hangar'], expirySeconds: 600, description: 'hangar abc123' });
 */
import { tailscaleTagError } from '../domain/tailnet-tags.ts';
import { ProviderError } from '../domain/errors.ts';
import { RestClient, seg, type FetchLike, type RestClientOptions } from '../http/client.ts';
import { systemClock, type Clock } from '../http/clock.ts';
import { TAILSCALE_RATE_LIMIT } from '../http/policies.ts';

const TAILSCALE_DEFAULT_BASE_URL = 'https://api.tailscale.com/api/v2';

export interface TailscaleConfig {
  /** An API access token (`tskey-api-…`). */
  apiKey?: string;
  /** An OAuth client (needs the `auth_keys` and `devices:core` scopes). */
  oauth?: { clientId: string; clientSecret: string; scopes?: string[] };
  /** Tailnet id; `-` means the token's default tailnet. */
  tailnet?: string;
  /** Default https://api.tailscale.com/api/v2. */
  baseUrl?: string;
  fetch?: FetchLike;
  clock?: Clock;
  timeoutMs?: number;
  rest?: Partial<RestClientOptions>;
}

export interface TailscaleAuthKey {
  id: string;
  /** The secret key; Tailscale shows it only once. */
  key: string;
  /** RFC 3339 expiry, when Tailscale sent one. */
  expires?: string;
}

export interface TailscaleDevice {
  id: string;
  nodeId?: string;
  /** The machine's OS hostname. */
  hostname: string;
  /** MagicDNS name, e.g. `hangar-acme-1234.tail1234.ts.net`. */
  name: string;
  addresses: string[];
  tags: string[];
  created?: string | null;
  lastSeen?: string | null;
  connectedToControl?: boolean;
  authorized?: boolean;
  isEphemeral?: boolean;
}

interface WireDevice {
  id?: string;
  nodeId?: string;
  hostname?: string;
  name?: string;
  addresses?: string[];
  tags?: string[];
  created?: string;
  lastSeen?: string;
  connectedToControl?: boolean;
  authorized?: boolean;
  isEphemeral?: boolean;
}

/** Refresh an OAuth access token this long before it expires. */
const TOKEN_SKEW_MS = 60_000;

/** Tailscale: descriptions are ≤ 50 letters, digits, hyphens and spaces. */
function cleanDescription(text: string): string {
  return text.replace(/[^A-Za-z0-9 -]+/g, '-').slice(0, 50);
}

export class TailscaleClient {
  readonly tailnet: string;
  readonly api: RestClient;
  private readonly tokenApi: RestClient | null;
  private readonly cfg: TailscaleConfig;
  private readonly clock: Clock;
  private cached: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(cfg: TailscaleConfig) {
    if (!cfg.apiKey && !cfg.oauth) throw new Error('TailscaleClient needs an apiKey or an OAuth client');
    this.cfg = cfg;
    this.clock = cfg.clock ?? systemClock;
    this.tailnet = cfg.tailnet || '-';
    const baseUrl = cfg.baseUrl ?? TAILSCALE_DEFAULT_BASE_URL;
    const common = { provider: 'tailscale', baseUrl, fetch: cfg.fetch, clock: this.clock, timeoutMs: cfg.timeoutMs, rateLimit: TAILSCALE_RATE_LIMIT };
    if (cfg.apiKey) {
      this.tokenApi = null;
      this.api = new RestClient({ ...common, token: cfg.apiKey, ...cfg.rest });
    } else {
      const key = `oauth:${cfg.oauth!.clientId}`;
      this.tokenApi = new RestClient({ ...common, rateLimitKey: key });
      this.api = new RestClient({
        ...common,
        token: () => this.accessToken(),
        rateLimitKey: key,
        onUnauthorized: () => {
          this.cached = null;
        },
        ...cfg.rest,
      });
    }
  }

  /** The OAuth access token, exchanged once and reused until a minute before it expires. */
  private accessToken(): Promise<string> {
    if (this.cached && this.clock.now() < this.cached.expiresAt) return Promise.resolve(this.cached.token);
    if (!this.pending) {
      this.pending = this.exchange().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  private async exchange(): Promise<string> {
    const { clientId, clientSecret, scopes } = this.cfg.oauth!;
    const form: Record<string, string> = { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' };
    if (scopes?.length) form.scope = scopes.join(' ');
    const res = await this.tokenApi!.post<{ access_token?: string; expires_in?: number }>('/oauth/token', undefined, { form, safe: true });
    if (!res?.access_token) throw new ProviderError('tailscale', 'invalid_response', 'OAuth token response carries no access_token');
    const ttl = (typeof res.expires_in === 'number' && res.expires_in > 0 ? res.expires_in : 3600) * 1000;
    this.cached = { token: res.access_token, expiresAt: this.clock.now() + Math.max(ttl / 2, ttl - TOKEN_SKEW_MS) };
    return res.access_token;
  }

  /**
   * A single-use (`reusable: false`), ephemeral, pre-authorized auth key for one server, tagged
   * with `tags` (each `tag:…`).
   */
  async createAuthKey(o: { tags: string[]; expirySeconds?: number; description?: string }): Promise<TailscaleAuthKey> {
    const bad = o.tags.map((t) => [t, tailscaleTagError(t)] as const).filter(([, e]) => e);
    if (bad.length) throw new ProviderError('tailscale', 'invalid_tag', bad.map(([t, e]) => `${t}: ${e}`).join('; '), 400);
    const body = {
      keyType: 'auth',
      ...(o.description ? { description: cleanDescription(o.description) } : {}),
      capabilities: { devices: { create: { reusable: false, ephemeral: true, preauthorized: true, tags: o.tags } } },
      ...(o.expirySeconds ? { expirySeconds: Math.max(1, Math.round(o.expirySeconds)) } : {}),
    };
    // Safe to repeat on a 5xx or a lost response: a key minted twice is single-use, never handed
    // out, and expires in minutes, whereas failing here fails the server's enrollment.
    const res = await this.api.post<{ id?: string; key?: string; expires?: string }>(`/tailnet/${seg(this.tailnet)}/keys`, body, { safe: true });
    if (!res?.id || !res.key) throw new ProviderError('tailscale', 'invalid_response', 'key response carries no id or key');
    return { id: res.id, key: res.key, ...(res.expires ? { expires: res.expires } : {}) };
  }

  /**
   * The device whose hostname is `hostname` (or whose MagicDNS name starts with it), newest
   * first when several match; null when none does. Filters server-side with `?hostname=`.
   */
  async findDeviceByHostname(hostname: string): Promise<TailscaleDevice | null> {
    const res = await this.api.get<{ devices?: WireDevice[] }>(`/tailnet/${seg(this.tailnet)}/devices`, { query: { hostname } });
    const want = hostname.toLowerCase();
    const matches = (res?.devices ?? [])
      .filter((d) => d.id && ((d.hostname ?? '').toLowerCase() === want || (d.name ?? '').toLowerCase().split('.')[0] === want))
      .sort((a, b) => Date.parse(b.created ?? '') - Date.parse(a.created ?? '') || 0);
    const d = matches[0];
    if (!d) return null;
    return {
      id: d.id!,
      nodeId: d.nodeId,
      hostname: d.hostname ?? '',
      name: d.name ?? '',
      addresses: d.addresses ?? [],
      tags: d.tags ?? [],
      created: d.created ?? null,
      lastSeen: d.lastSeen ?? null,
      connectedToControl: d.connectedToControl,
      authorized: d.authorized,
      isEphemeral: d.isEphemeral,
    };
  }

  /** Remove a device from the tailnet; one that is already gone counts as removed. */
  async deleteDevice(id: string): Promise<void> {
    await this.api.deleteIfExists(`/device/${seg(id)}`);
  }

  /** Revoke an auth key; one that is already gone counts as revoked. */
  async deleteAuthKey(id: string): Promise<void> {
    await this.api.deleteIfExists(`/tailnet/${seg(this.tailnet)}/keys/${seg(id)}`);
  }
}

/**
 * The base URL the API's paths go under, from a URL given with or without its `/api/v2` (or
 * with `/api` only; trailing slashes dropped).
 *
 * @example
 * tailscaleBaseUrl('http://127.0.0.1:4012')         // → 'http://127.0.0.1:4012/api/v2'
 * tailscaleBaseUrl('http://127.0.0.1:4012/api/v2/') // → 'http://127.0.0.1:4012/api/v2'
 */
export function tailscaleBaseUrl(url: string): string {
  const u = url.trim().replace(/\/+$/, '');
  return u.endsWith('/api/v2') ? u : u.endsWith('/api') ? `${u}/v2` : `${u}/api/v2`;
}

/**
 * A Tailscale client from the environment, or null when not configured. Reads
 * `TAILSCALE_API_KEY`, or `TAILSCALE_OAUTH_CLIENT_ID` + `TAILSCALE_OAUTH_CLIENT_SECRET`;
 * `TAILSCALE_TAILNET` (default `-`) and `TAILSCALE_BASE_URL` (default https://api.tailscale.com/api/v2;
 * with or without `/api/v2`).
 */
export function tailscaleFromEnv(env: Record<string, string | undefined> = process.env, overrides: Partial<TailscaleConfig> = {}): TailscaleClient | null {
  const apiKey = env.TAILSCALE_API_KEY?.trim();
  const clientId = env.TAILSCALE_OAUTH_CLIENT_ID?.trim();
  const clientSecret = env.TAILSCALE_OAUTH_CLIENT_SECRET?.trim();
  const oauth = clientId && clientSecret ? { clientId, clientSecret } : undefined;
  if (!apiKey && !oauth) return null;
  return new TailscaleClient({
    ...(apiKey ? { apiKey } : { oauth }),
    tailnet: env.TAILSCALE_TAILNET?.trim() || '-',
    baseUrl: env.TAILSCALE_BASE_URL?.trim() ? tailscaleBaseUrl(env.TAILSCALE_BASE_URL) : TAILSCALE_DEFAULT_BASE_URL,
    ...overrides,
  });
}
