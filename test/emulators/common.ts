/**
 * Shared machinery of the cloud emulators: a tiny router over node:http, bearer auth, per-token
 * rate-limit buckets, seeded fault injection, call counters and the `/_emulator/*` control API.
 * Each emulator (hetzner.ts, digitalocean.ts, tailscale.ts) supplies a {@link Vendor} (how its
 * errors and rate-limit headers look) and its routes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Rate limiting

/** One token bucket: `capacity` requests, refilled continuously at `refillPerSecond`. */
export interface RateLimitSpec {
  capacity: number;
  refillPerSecond: number;
  /** Tokens in a fresh bucket (default: full). */
  initial?: number;
}

export class TokenBucket {
  tokens: number;
  private last: number;
  constructor(
    readonly spec: RateLimitSpec,
    now = Date.now(),
  ) {
    this.tokens = Math.min(spec.capacity, spec.initial ?? spec.capacity);
    this.last = now;
  }
  private refill(now: number): void {
    const dt = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.spec.capacity, this.tokens + dt * this.spec.refillPerSecond);
    this.last = now;
  }
  /** Whole requests left. */
  remaining(now = Date.now()): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }
  /** Take one token; false when the bucket is empty. */
  take(now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  /** Seconds until one more request is allowed (0 when one is available now). */
  secondsUntilNext(now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    if (this.spec.refillPerSecond <= 0) return 3600;
    return (1 - this.tokens) / this.spec.refillPerSecond;
  }
  /** Seconds until `remaining()` grows by one (0 when full): when "the oldest request expires". */
  secondsUntilIncrement(now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= this.spec.capacity) return 0;
    if (this.spec.refillPerSecond <= 0) return 3600;
    return (Math.floor(this.tokens) + 1 - this.tokens) / this.spec.refillPerSecond;
  }
  /** Seconds until the bucket is full again. */
  secondsUntilFull(now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= this.spec.capacity) return 0;
    if (this.spec.refillPerSecond <= 0) return 3600;
    return (this.spec.capacity - this.tokens) / this.spec.refillPerSecond;
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

/** Fault injection settings. Every field is optional when setting; see {@link DEFAULT_FAULTS}. */
export interface FaultConfig {
  /** Seed of the fault RNG. Setting it (at start or at runtime) restarts the random sequence. */
  seed: number;
  /** Fraction [0, 1] of API requests answered with a vendor-shaped 5xx. */
  errorRate: number;
  /** Statuses injected errors are drawn from (default [503, 500]). */
  errorStatuses: number[];
  /**
   * Fraction [0, 1] of injected 5xx sent *after* the request was carried out: the server was
   * created (or deleted) but the client never learns it, like a gateway timeout after the fact.
   */
  errorProcessedRate: number;
  /** The next N matching API requests get a 5xx, whatever the rate (counts down). */
  errorNext: number;
  /** Fraction [0, 1] of API requests answered with a forced 429. */
  rateLimitRate: number;
  /** The next N matching API requests get a forced 429 (counts down). */
  rateLimitNext: number;
  /** Latency added to every API request, in ms: fixed, or [min, max] drawn from the seeded RNG. */
  latencyMs: number | [number, number];
  /** Fraction [0, 1] of actions that end in status error. */
  actionErrorRate: number;
  /** Only these action commands can fail (Hetzner `create_image`, DO `snapshot`, …); empty: all. */
  actionErrorCommands: string[];
  /** The error code a failed action reports (Hetzner `action.error.code`). */
  actionErrorCode: string;
  actionErrorMessage: string;
  /** Fraction [0, 1] of created servers that vanish `vanishAfterMs` after they are running. */
  vanishRate: number;
  vanishAfterMs: number;
  /**
   * Restrict request faults (5xx, 429, latency) to these routes, written like the call counters:
   * `POST /v1/servers`, `GET /v2/droplets/{droplet_id}`; a trailing `*` matches a prefix. Empty: all.
   */
  routes: string[];
  /**
   * Capacity knob: a server create matching an entry (its server type and/or location; a field
   * left out matches any) is refused with that vendor code — Hetzner `resource_unavailable`,
   * `placement_error` (412) or `resource_limit_exceeded` (403); DigitalOcean `region_unavailable`,
   * `size_unavailable` or `limit_exceeded` (each a 422 with the vendor's message). First match wins.
   */
  capacity: CapacityFault[];
}

/** One capacity refusal the emulator answers a matching create with (see FaultConfig.capacity). */
export interface CapacityFault {
  serverType?: string;
  location?: string;
  code: string;
}

/**
 * The capacity fault a create of `serverType` at `location` hits, if any.
 *
 * @example
 * capacityFault([{ location: 'nbg1', code: 'resource_unavailable' }], 'cpx22', 'nbg1') // → { location: 'nbg1', code: 'resource_unavailable' }
 */
export function capacityFault(list: readonly CapacityFault[], serverType: string, location: string): CapacityFault | null {
  return list.find((f) => (f.serverType === undefined || f.serverType === serverType) && (f.location === undefined || f.location === location)) ?? null;
}

export const DEFAULT_FAULTS: FaultConfig = {
  seed: 1,
  errorRate: 0,
  errorStatuses: [503, 500],
  errorProcessedRate: 0,
  errorNext: 0,
  rateLimitRate: 0,
  rateLimitNext: 0,
  latencyMs: 0,
  actionErrorRate: 0,
  actionErrorCommands: [],
  actionErrorCode: 'action_failed',
  actionErrorMessage: 'Action failed (injected by the emulator)',
  vanishRate: 0,
  vanishAfterMs: 0,
  routes: [],
  capacity: [],
};

const FAULT_KEYS = Object.keys(DEFAULT_FAULTS) as (keyof FaultConfig)[];

/** Holds the fault settings and the seeded RNG streams that draw from them. */
export class Faults {
  config: FaultConfig;
  /**
   * One request-fault stream per route (`POST /v1/servers`, …), one for action/vanish faults:
   * the n-th call of a route meets the same fate whatever other calls interleave with it.
   */
  private readonly requestRngs = new Map<string, () => number>();
  private resourceRng: () => number;
  constructor(private readonly initial: Partial<FaultConfig> = {}) {
    this.config = { ...DEFAULT_FAULTS, ...pickFaults(initial) };
    this.resourceRng = seededRandom(this.config.seed ^ 0x9e3779b9);
  }
  private requestRng(routeKey: string): () => number {
    let rng = this.requestRngs.get(routeKey);
    if (!rng) {
      rng = seededRandom(this.config.seed ^ fnv1a(routeKey));
      this.requestRngs.set(routeKey, rng);
    }
    return rng;
  }
  /** Merge new settings; a `seed` (even the same one) restarts both random streams. */
  set(patch: Partial<FaultConfig>): FaultConfig {
    const p = pickFaults(patch);
    this.config = { ...this.config, ...p };
    if (p.seed !== undefined) this.reseed();
    return this.config;
  }
  /** Back to the settings given at start. */
  reset(): FaultConfig {
    this.config = { ...DEFAULT_FAULTS, ...pickFaults(this.initial) };
    this.reseed();
    return this.config;
  }
  /** No faults at all (keeps the seed). */
  clear(): FaultConfig {
    this.config = { ...DEFAULT_FAULTS, seed: this.config.seed };
    return this.config;
  }
  private reseed(): void {
    this.requestRngs.clear();
    this.resourceRng = seededRandom(this.config.seed ^ 0x9e3779b9);
  }
  private matches(routeKey: string): boolean {
    const routes = this.config.routes;
    if (!routes.length) return true;
    return routes.some((r) => (r.endsWith('*') ? routeKey.startsWith(r.slice(0, -1)) : r === routeKey || routeKey.endsWith(` ${r}`)));
  }
  /**
   * Decide the fate of one API request. The same five numbers are drawn for every request,
   * faulted or not, from its route's own stream, so the n-th call of a route meets a fate that
   * depends only on the seed, the route and n. `processed`: an injected 5xx is sent after the
   * request was carried out (see `errorProcessedRate`).
   */
  forRequest(routeKey: string): { latencyMs: number; status: 429 | number | null; processed: boolean } {
    const rng = this.requestRng(routeKey);
    const [r429, r5xx, rPick] = [rng(), rng(), rng()];
    const rLat = rng();
    const rProc = rng();
    const c = this.config;
    if (!this.matches(routeKey)) return { latencyMs: 0, status: null, processed: false };
    const latencyMs = Array.isArray(c.latencyMs) ? c.latencyMs[0] + Math.floor(rLat * (c.latencyMs[1] - c.latencyMs[0] + 1)) : c.latencyMs;
    const pick = (): number => c.errorStatuses[Math.floor(rPick * c.errorStatuses.length)] ?? 503;
    const processed = rProc < c.errorProcessedRate;
    if (c.rateLimitNext > 0) {
      c.rateLimitNext--;
      return { latencyMs, status: 429, processed: false };
    }
    if (c.errorNext > 0) {
      c.errorNext--;
      return { latencyMs, status: pick(), processed };
    }
    if (r429 < c.rateLimitRate) return { latencyMs, status: 429, processed: false };
    if (r5xx < c.errorRate) return { latencyMs, status: pick(), processed };
    return { latencyMs, status: null, processed: false };
  }
  /** Whether an action of this command ends in error (one draw per finished action). */
  actionFails(command: string): boolean {
    const r = this.resourceRng();
    const c = this.config;
    if (c.actionErrorCommands.length && !c.actionErrorCommands.includes(command)) return false;
    return r < c.actionErrorRate;
  }
  /** Whether a newly created server is doomed to vanish (one draw per server). */
  serverVanishes(): boolean {
    return this.resourceRng() < this.config.vanishRate;
  }
}

/** FNV-1a, 32 bits: a route's stream id. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function pickFaults(p: Partial<FaultConfig>): Partial<FaultConfig> {
  const out: Partial<FaultConfig> = {};
  for (const k of FAULT_KEYS) if (p[k] !== undefined) (out as Record<string, unknown>)[k] = p[k];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timers

/** setTimeout calls owned by an emulator, all cancelled at reset/stop. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.pending.add(t);
  }
  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses (documentation ranges only: fake data, never contacted)

const V4_NETS = ['203.0.113', '198.51.100', '192.0.2'];

/** Hands out IPv4 addresses from the TEST-NET ranges and IPv6 /64s from 2001:db8::/32. */
export class AddressPool {
  private n = 0;
  nextV4(): string {
    const i = this.n++;
    const net = V4_NETS[Math.floor(i / 253) % V4_NETS.length];
    return `${net}.${(i % 253) + 2}`;
  }
  /** A /64 prefix, e.g. `2001:db8:0:2a::`. */
  nextV6Net(): string {
    return `2001:db8:0:${(this.n + 1).toString(16)}::`;
  }
  reset(): void {
    this.n = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  headers: IncomingMessage['headers'];
  /** The bearer token the request carried (already checked), or null on open routes. */
  token: string | null;
  /** Route key as counted: `GET /v1/servers/{id}`. */
  route: string;
  /** Base URL of this emulator, e.g. `http://127.0.0.1:4010`. */
  origin: string;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  /** Template with `{param}` segments, including the base path: `/v1/servers/{id}`. */
  path: string;
  handler: Handler;
  /** No bearer token, no rate limit, no faults (e.g. the Tailscale OAuth token endpoint). */
  open?: boolean;
}

/** How a vendor spells its errors and rate-limit headers. */
export interface Vendor {
  name: string;
  /** Body of an error reply: (status, code, message) → vendor JSON. */
  error(status: number, code: string, message: string): unknown;
  unauthorized(): Reply;
  notFound(what?: string): Reply;
  tooManyRequests(): unknown;
  /** Code used for an injected 5xx of this status. */
  serverErrorCode(status: number): string;
  /** Headers reporting the state of this token's buckets (`buckets[0]` is the reported one). */
  rateLimitHeaders(buckets: TokenBucket[], now: number): Record<string, string>;
  /** Extra headers on a 429 (DigitalOcean's `retry-after`); `buckets` may be empty (forced 429). */
  retryHeaders(buckets: TokenBucket[], now: number): Record<string, string>;
}

export interface Stats {
  /** API requests received (control endpoints excluded). */
  requests: number;
  unauthorized: number;
  /** 429s from an empty bucket. */
  rateLimited: number;
  /** 429s forced by fault injection. */
  forced429: number;
  /** 5xx injected by fault injection. */
  injected5xx: number;
  /** Of those, answered after the request was carried out. */
  injected5xxProcessed: number;
}

export interface CoreOptions {
  vendor: Vendor;
  routes: Route[];
  /** Accepted bearer tokens; `'*'` accepts any non-empty token. */
  tokens: string[] | '*';
  /** Extra check for tokens not in `tokens` (Tailscale's OAuth access tokens). */
  isValidToken?: (token: string) => boolean;
  /** Rate-limit buckets per token; false disables. */
  rateLimit: RateLimitSpec | RateLimitSpec[] | false;
  faults: Partial<FaultConfig>;
  /** JSON for GET /_emulator/state (resources; counters are added). */
  snapshot: () => Record<string, unknown>;
  /** Clear resources (POST /_emulator/reset). */
  resetState: () => Promise<void>;
  /** Make a server vanish (POST /_emulator/vanish/{id}); false when unknown. */
  vanish?: (id: string) => Promise<boolean>;
  /** Extra control routes under `/_emulator/` (open, never faulted). */
  controlRoutes?: Route[];
}

/** The HTTP server, counters, buckets and faults of one emulator. */
export class EmulatorCore {
  readonly faults: Faults;
  readonly calls = new Map<string, number>();
  readonly stats: Stats = { requests: 0, unauthorized: 0, rateLimited: 0, forced429: 0, injected5xx: 0, injected5xxProcessed: 0 };
  private buckets = new Map<string, TokenBucket[]>();
  rateLimit: RateLimitSpec[] | false;
  private readonly initialRateLimit: RateLimitSpec[] | false;
  private server: Server | null = null;
  origin = '';
  private readonly routes: Route[];

  constructor(private readonly opts: CoreOptions) {
    this.faults = new Faults(opts.faults);
    this.rateLimit = opts.rateLimit === false ? false : Array.isArray(opts.rateLimit) ? opts.rateLimit : [opts.rateLimit];
    this.initialRateLimit = this.rateLimit;
    this.routes = [...this.controlRoutes(), ...(opts.controlRoutes ?? []), ...opts.routes];
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const h = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    this.origin = `http://${h}:${addr.port}`;
    return this.origin;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** Counters, buckets and faults back to their initial state. */
  resetCounters(): void {
    this.calls.clear();
    for (const k of Object.keys(this.stats) as (keyof Stats)[]) this.stats[k] = 0;
    this.buckets.clear();
    this.rateLimit = this.initialRateLimit;
    this.faults.reset();
  }

  /** Add API routes (after construction, when they need state that needs the core). */
  addRoutes(routes: Route[]): void {
    this.routes.push(...routes);
  }

  /** Replace the rate-limit buckets (all tokens start afresh). */
  setRateLimit(spec: RateLimitSpec | RateLimitSpec[] | false): void {
    this.rateLimit = spec === false ? false : Array.isArray(spec) ? spec : [spec];
    this.buckets.clear();
  }

  /** Buckets of one token (created full on first use). */
  bucketsFor(token: string): TokenBucket[] {
    if (!this.rateLimit) return [];
    let b = this.buckets.get(token);
    if (!b) {
      b = this.rateLimit.map((s) => new TokenBucket(s));
      this.buckets.set(token, b);
    }
    return b;
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  fullSnapshot(): Record<string, unknown> {
    return {
      ...this.opts.snapshot(),
      calls: this.callCounts(),
      stats: { ...this.stats },
      faults: { ...this.faults.config },
      rateLimit: this.rateLimit,
    };
  }

  private controlRoutes(): Route[] {
    const ok = (body: unknown): Reply => ({ status: 200, body });
    return [
      { method: 'GET', path: '/_emulator/state', open: true, handler: () => ok(this.fullSnapshot()) },
      { method: 'GET', path: '/_emulator/calls', open: true, handler: () => ok({ calls: this.callCounts(), stats: { ...this.stats } }) },
      { method: 'GET', path: '/_emulator/faults', open: true, handler: () => ok(this.faults.config) },
      { method: 'POST', path: '/_emulator/faults', open: true, handler: (c) => ok(this.faults.set((c.body ?? {}) as Partial<FaultConfig>)) },
      { method: 'DELETE', path: '/_emulator/faults', open: true, handler: () => ok(this.faults.clear()) },
      {
        method: 'POST',
        path: '/_emulator/rate-limit',
        open: true,
        handler: (c) => {
          const b = c.body as RateLimitSpec | RateLimitSpec[] | false | null;
          this.setRateLimit(b ?? false);
          return ok({ rateLimit: this.rateLimit });
        },
      },
      {
        method: 'POST',
        path: '/_emulator/reset',
        open: true,
        handler: async () => {
          await this.opts.resetState();
          this.resetCounters();
          return ok({ reset: true });
        },
      },
      {
        method: 'POST',
        path: '/_emulator/vanish/{id}',
        open: true,
        handler: async (c) => {
          const gone = this.opts.vanish ? await this.opts.vanish(c.params.id) : false;
          return gone ? ok({ vanished: c.params.id }) : { status: 404, body: { message: `no server ${c.params.id}` } };
        },
      },
    ];
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
    const segs = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const route of this.routes) {
      const tsegs = route.path.split('/').filter(Boolean);
      if (tsegs.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < tsegs.length && ok; i++) {
        const t = tsegs[i];
        if (t.startsWith('{') && t.endsWith('}')) params[t.slice(1, -1)] = decodeURIComponent(segs[i]);
        else ok = t === segs[i];
      }
      if (!ok) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route, params };
    }
    return methodMismatch ? 'method' : null;
  }

  private send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.body === undefined || reply.status === 204) {
      if (reply.status === 204 && !headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const m = this.match(method, url.pathname);
    const vendor = this.opts.vendor;
    if (!m || m === 'method') {
      const r = m === 'method' ? { status: 405, body: vendor.error(405, 'method_not_allowed', `${method} not allowed on ${url.pathname}`) } : vendor.notFound();
      this.send(res, r);
      return;
    }
    const { route, params } = m;
    const routeKey = `${method} ${route.path}`;
    const control = route.path.startsWith('/_emulator/');
    if (!control) {
      this.stats.requests++;
      this.calls.set(routeKey, (this.calls.get(routeKey) ?? 0) + 1);
    }
    let body: unknown = undefined;
    if (raw.length) {
      const ct = String(req.headers['content-type'] ?? '');
      try {
        body = ct.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) : JSON.parse(raw.toString('utf8'));
      } catch {
        this.send(res, { status: 400, body: vendor.error(400, 'json_error', 'request body is not valid JSON') });
        return;
      }
    }
    const ctx: Ctx = { method, path: url.pathname, query: url.searchParams, params, body, headers: req.headers, token: null, route: routeKey, origin: this.origin };
    if (control || route.open) {
      this.send(res, await this.run(route, ctx));
      return;
    }
    // 1. auth
    const auth = String(req.headers.authorization ?? '');
    const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] ?? null;
    const tokens = this.opts.tokens;
    const valid = token !== null && (tokens === '*' || tokens.includes(token) || (this.opts.isValidToken?.(token) ?? false));
    if (!valid) {
      this.stats.unauthorized++;
      this.send(res, vendor.unauthorized());
      return;
    }
    ctx.token = token;
    // 2. rate limit (real buckets)
    const now = Date.now();
    const buckets = this.bucketsFor(token);
    const empty = buckets.some((b) => b.remaining(now) < 1);
    if (!empty) for (const b of buckets) b.take(now);
    const rlHeaders = buckets.length ? vendor.rateLimitHeaders(buckets, now) : {};
    if (empty) {
      this.stats.rateLimited++;
      this.send(res, { status: 429, body: vendor.tooManyRequests(), headers: { ...rlHeaders, ...vendor.retryHeaders(buckets, now) } });
      return;
    }
    // 3. injected faults
    const fate = this.faults.forRequest(routeKey);
    if (fate.latencyMs > 0) await sleep(fate.latencyMs);
    if (fate.status === 429) {
      this.stats.forced429++;
      this.send(res, { status: 429, body: vendor.tooManyRequests(), headers: { ...rlHeaders, ...vendor.retryHeaders(buckets, now) } });
      return;
    }
    if (fate.status !== null) {
      this.stats.injected5xx++;
      if (fate.processed) {
        this.stats.injected5xxProcessed++;
        await this.run(route, ctx).catch(() => undefined);
      }
      const st = fate.status;
      this.send(res, { status: st, body: vendor.error(st, vendor.serverErrorCode(st), 'injected failure (emulator fault injection)'), headers: rlHeaders });
      return;
    }
    const reply = await this.run(route, ctx);
    this.send(res, { ...reply, headers: { ...rlHeaders, ...(reply.headers ?? {}) } });
  }

  private async run(route: Route, ctx: Ctx): Promise<Reply> {
    try {
      return await route.handler(ctx);
    } catch (err) {
      if (err instanceof HttpError) return { status: err.status, body: err.body, headers: err.headers };
      throw err;
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Server history

/**
 * Every server an emulator ever created, kept after deletion, so tests and benchmarks can ask
 * "did any instance get two servers?" after the fact.
 */
export interface ServerHistoryEntry {
  id: number;
  name: string;
  /** The Hangar instance the server belongs to (label `hangar.dev/instance` or tag `hangar-instance-<id>`), if any. */
  instance: string | null;
  created: string;
  deleted: string | null;
  vanished: boolean;
}

const INSTANCE_TAG = /^hangar-instance-(.+)$/;

/** The Hangar instance a server belongs to, from its labels (Hetzner) or tags (DigitalOcean). */
export function ownerOf(labels: Record<string, string> | undefined, tags: string[] = []): string | null {
  const l = labels?.['hangar.dev/instance'];
  if (l) return l;
  for (const t of tags) {
    const m = INSTANCE_TAG.exec(t);
    if (m) return m[1];
  }
  return null;
}

/** Instances that ever had more than one server: instance → server ids. */
export function duplicateOwners(history: ServerHistoryEntry[]): Record<string, number[]> {
  const by = new Map<string, number[]>();
  for (const h of history) if (h.instance) by.set(h.instance, [...(by.get(h.instance) ?? []), h.id]);
  return Object.fromEntries([...by].filter(([, ids]) => ids.length > 1));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Parse an integer query parameter; undefined when absent; HttpError(400) when malformed. */
export function intParam(q: URLSearchParams, name: string, invalid: (msg: string) => HttpError): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalid(`${name} must be an integer`);
  return Number(v);
}

/** Poll `cond` every 10 ms until true; reject after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const iso = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Common handle methods every emulator exposes, bound to its core. */
export interface EmulatorControls {
  /** Root URL of the emulator, e.g. `http://127.0.0.1:4010`. */
  url: string;
  /** What a client uses as its base URL (`${url}/v1`, `${url}/v2`, `${url}/api/v2`). */
  baseUrl: string;
  port: number;
  /** Accepted bearer tokens (`'*'`: any); `token` is the first, for convenience. */
  tokens: string[] | '*';
  token: string;
  /** Stop: booted servers, timers, then the HTTP server. */
  stop(): Promise<void>;
  /** Drop every resource, counter and bucket; faults back to the start settings. */
  reset(): Promise<void>;
  /** Merge fault settings at runtime (same as POST /_emulator/faults). */
  setFaults(patch: Partial<FaultConfig>): FaultConfig;
  /** Remove every fault (keeps the seed). */
  clearFaults(): FaultConfig;
  /** Current fault settings. */
  getFaults(): FaultConfig;
  /** Replace the rate-limit buckets (every token starts with a fresh bucket). */
  setRateLimit(spec: RateLimitSpec | RateLimitSpec[] | false): void;
  /** Calls per `METHOD /route/{template}`. */
  calls(): Record<string, number>;
  stats(): Stats;
  /** What GET /_emulator/state answers. */
  snapshot(): Record<string, unknown>;
}

export function controls(core: EmulatorCore, basePath: string, tokens: string[] | '*', stopResources: () => Promise<void>, resetResources: () => Promise<void>): EmulatorControls {
  return {
    url: core.origin,
    baseUrl: core.origin + basePath,
    port: core.port,
    tokens,
    token: tokens === '*' ? 'any-token' : (tokens[0] ?? ''),
    async stop() {
      await stopResources();
      await core.close();
    },
    async reset() {
      await resetResources();
      core.resetCounters();
    },
    setFaults: (p) => core.faults.set(p),
    clearFaults: () => core.faults.clear(),
    getFaults: () => ({ ...core.faults.config }),
    setRateLimit: (s) => core.setRateLimit(s),
    calls: () => core.callCounts(),
    stats: () => ({ ...core.stats }),
    snapshot: () => core.fullSnapshot(),
  };
}
