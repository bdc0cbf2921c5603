/**
 * The REST client of a cloud provider (Hetzner, DigitalOcean): the shared client of src/http/
 * with the cloud's default endpoint and rate limit, overridden by the provider's options.
 *
 * @example
 * this.api = cloudClient('hetzner', HETZNER_DEFAULT_ENDPOINT, HETZNER_RATE_LIMIT, opts, clock);
 */
import { RestClient, type RestClientOptions } from '../http/client.ts';

/** What a cloud provider's options say about its REST client. */
export interface CloudClientOptions {
  token: string;
  baseUrl?: string;
  fetch?: RestClientOptions['fetch'];
  timeoutMs?: number;
  rest?: Partial<RestClientOptions>;
}

/**
 * The REST client of a cloud provider: its default endpoint and rate limit, overridden by the
 * provider's options (`rest` last, for tests).
 *
 * @example
 * this.api = cloudClient('hetzner', HETZNER_DEFAULT_ENDPOINT, HETZNER_RATE_LIMIT, opts, clock);
 */
export function cloudClient(provider: string, defaultBaseUrl: string, rateLimit: RestClientOptions['rateLimit'], opts: CloudClientOptions, clock: RestClientOptions['clock']): RestClient {
  return new RestClient({ provider, baseUrl: opts.baseUrl ?? defaultBaseUrl, token: opts.token, fetch: opts.fetch, clock, timeoutMs: opts.timeoutMs, rateLimit, ...opts.rest });
}
