/**
 * What each vendor's rate limit looks like ({@link RateLimitPolicy}), and the policies of the
 * three APIs Hangar calls. The governor starts from a policy and then learns from the headers.
 *
 * @example
 * new RestClient({ provider: 'hetzner', baseUrl, token, rateLimit: HETZNER_RATE_LIMIT });
 */

/** What a vendor's rate limit looks like and what to assume before the first response. */
export interface RateLimitPolicy {
  /** Vendor name, part of the registry key. */
  vendor: string;
  /**
   * Meaning of the reset header: `full` = the bucket is full again then and refills gradually
   * (Hetzner); `oldest` = the oldest counted request expires then (DigitalOcean's sliding hour).
   */
  reset: 'full' | 'oldest';
  /** Assumed budget when the server sends no rate-limit headers at all. */
  initial: { limit: number; windowMs: number };
  /** Limits enforced but not advertised in headers; kept locally as sliding windows. */
  windows?: { limit: number; windowMs: number }[];
  /** Fraction of the limit below which calls are spread until the reset. Default 0.1. */
  lowWater?: number;
  /** Wait after a 429 that carries neither `retry-after` nor a usable reset. Default 1000 ms. */
  fallbackWaitMs?: number;
}

/** Hetzner Cloud: 3600 requests/hour per project, refilled one per second. */
export const HETZNER_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'hetzner',
  reset: 'full',
  initial: { limit: 3600, windowMs: 3600_000 },
};

/** DigitalOcean: 5000 requests/hour (sliding, advertised) and 250/minute (burst, not advertised). */
export const DIGITAL_OCEAN_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'digital-ocean',
  reset: 'oldest',
  initial: { limit: 5000, windowMs: 3600_000 },
  windows: [{ limit: 250, windowMs: 60_000 }],
};

/** Tailscale publishes no numbers or headers; Hangar's call volume is tiny, so stay modest. */
export const TAILSCALE_RATE_LIMIT: RateLimitPolicy = {
  vendor: 'tailscale',
  reset: 'full',
  initial: { limit: 100, windowMs: 60_000 },
};
