/**
 * The cloud providers and the tailnet this installation has configured, built from the
 * environment (the vendors' own variable names, as seeds 000–003 use them):
 *
 * | provider        | token                                          | base URL                                         |
 * | --------------- | ---------------------------------------------- | ------------------------------------------------ |
 * | `hetzner`       | `HETZNER_API_TOKEN` or `HCLOUD_TOKEN`          | `HCLOUD_ENDPOINT` (https://api.hetzner.cloud/v1) |
 * | `digital-ocean` | `DIGITALOCEAN_API_TOKEN` or `DIGITALOCEAN_TOKEN` | `DIGITALOCEAN_API_URL` (https://api.digitalocean.com) |
 * | tailnet         | `TAILSCALE_API_KEY`, or `TAILSCALE_OAUTH_CLIENT_ID` + `_SECRET` | `TAILSCALE_BASE_URL` (https://api.tailscale.com/api/v2); `TAILSCALE_TAILNET` (default `-`) |
 *
 * Each base URL may be given with or without its version suffix (`/v1`, `/v2`, `/api/v2`): the
 * emulators print theirs with it (hetznerBaseUrl, digitalOceanBaseUrl, tailscaleBaseUrl).
 *
 * A provider whose token is unset is simply absent; a half-configured one (an OAuth client id
 * without its secret) is absent too and named in `warnings`, so the server can log it. So is one
 * whose base URL may not receive its token: not https and not an origin in
 * `HANGAR_ALLOWED_ENDPOINTS` (emulators), or with a user name or password in it (see
 * src/http/endpoints.ts). This is where providers/ and network/ meet: neither imports the other.
 *
 * @example
 * const { providers, tailnet, warnings } = providersFromEnv(process.env);
 * for (const w of warnings) log.warn(w);
 * const hangar = await startHangar(config, { providers, tailnet });
 */
import type { FetchLike } from '../http/client.ts';
import type { Clock } from '../http/clock.ts';
import { endpointProblem, parseAllowedEndpoints, type AllowedOrigin } from '../http/endpoints.ts';
import { TailscaleClient, tailscaleFromEnv, type TailscaleConfig } from '../network/tailscale.ts';
import type { Tailnet } from '../network/types.ts';
import { DigitalOceanProvider, digitalOceanFromEnv, type DigitalOceanOptions } from '../providers/digitalocean.ts';
import { HetznerProvider, hetznerFromEnv, type HetznerOptions } from '../providers/hetzner.ts';
import type { CloudProvider } from '../providers/types.ts';
import type { SharedBudgetStore } from '../http/shared-governor.ts';

export type Env = Record<string, string | undefined>;

export interface ProvidersFromEnvOptions {
  /** Injected into every client (tests, proxies). */
  fetch?: FetchLike;
  clock?: Clock;
  /** Per-request timeout for every client, ms (default 30 s). */
  timeoutMs?: number;
  /** Extra options per client, applied over what the environment says. */
  hetzner?: Partial<HetznerOptions>;
  digitalOcean?: Partial<DigitalOceanOptions>;
  tailscale?: Partial<TailscaleConfig>;
  /** Origins allowed besides https (default: `HANGAR_ALLOWED_ENDPOINTS` of `env`). */
  allowedEndpoints?: readonly string[];
  /** The cloud-API budget shared by every replica (the database); else each process paces alone. */
  budget?: SharedBudgetStore;
}

export interface CloudRegistry {
  /** The configured cloud providers (`hetzner`, `digital-ocean`), for `startHangar({ providers })`. */
  providers: CloudProvider[];
  /** The tailnet, when Tailscale is configured; the engine skips the network step without it. */
  tailnet?: Tailnet;
  /** The same Tailscale client with its full API (auth-key revocation, device details). */
  tailscale?: TailscaleClient;
  /** Configuration that looks intended but is incomplete, one sentence each. */
  warnings: string[];
  /** One line per configured service, without secrets, e.g. `hetzner at https://api.hetzner.cloud/v1`. */
  summary: string[];
}

/**
 * Build the configured providers and tailnet from `env`. Pure apart from constructing clients:
 * no network call is made until the engine uses them.
 */
export function providersFromEnv(env: Env = process.env, opts: ProvidersFromEnvOptions = {}): CloudRegistry {
  const common = {
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  };
  const providers: CloudProvider[] = [];
  const warnings: string[] = [];
  const summary: string[] = [];
  const allow = parseAllowedEndpoints(opts.allowedEndpoints ?? env.HANGAR_ALLOWED_ENDPOINTS);
  warnings.push(...allow.problems);
  /** False (with a warning naming the variable) when its URL may not receive credentials. */
  const endpointOk = (name: string, what: string) => {
    const problem = endpointCheck(env[name], allow.origins);
    if (problem) warnings.push(`${name} ${problem}: ${what} is off`);
    return !problem;
  };

  const hzOk = endpointOk('HCLOUD_ENDPOINT', 'the hetzner provider');
  const hz: HetznerProvider | null = hzOk ? hetznerFromEnv(env, { ...common, ...opts.hetzner, rest: { ...(opts.budget ? { budget: opts.budget } : {}), ...opts.hetzner?.rest } }) : null;
  if (hz) {
    providers.push(hz);
    summary.push(`hetzner at ${hz.api.baseUrl}`);
  } else if (hzOk && env.HCLOUD_ENDPOINT?.trim()) {
    warnings.push('HCLOUD_ENDPOINT is set but neither HETZNER_API_TOKEN nor HCLOUD_TOKEN is: the hetzner provider is off');
  }

  const doOk = endpointOk('DIGITALOCEAN_API_URL', 'the digital-ocean provider');
  const dop: DigitalOceanProvider | null = doOk ? digitalOceanFromEnv(env, { ...common, ...opts.digitalOcean, rest: { ...(opts.budget ? { budget: opts.budget } : {}), ...opts.digitalOcean?.rest } }) : null;
  if (dop) {
    providers.push(dop);
    summary.push(`digital-ocean at ${dop.api.baseUrl}`);
  } else if (doOk && env.DIGITALOCEAN_API_URL?.trim()) {
    warnings.push('DIGITALOCEAN_API_URL is set but neither DIGITALOCEAN_API_TOKEN nor DIGITALOCEAN_TOKEN is: the digital-ocean provider is off');
  }

  const id = env.TAILSCALE_OAUTH_CLIENT_ID?.trim();
  const secret = env.TAILSCALE_OAUTH_CLIENT_SECRET?.trim();
  if (!env.TAILSCALE_API_KEY?.trim() && !!id !== !!secret) {
    warnings.push(`TAILSCALE_OAUTH_CLIENT_${id ? 'SECRET' : 'ID'} is missing: an OAuth client needs both TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET; no tailnet is configured`);
  }
  const ts = endpointOk('TAILSCALE_BASE_URL', 'the tailnet') ? tailscaleFromEnv(env, { ...common, ...opts.tailscale }) : null;
  let tailnet: Tailnet | undefined;
  if (ts) {
    tailnet = ts; // TailscaleClient implements the network's Tailnet contract
    summary.push(`tailscale tailnet ${ts.tailnet} at ${ts.api.baseUrl} (${env.TAILSCALE_API_KEY?.trim() ? 'API key' : 'OAuth client'})`);
  }

  return { providers, ...(tailnet ? { tailnet, tailscale: ts! } : {}), warnings, summary };
}

/** The problem with an endpoint variable's value, or null when it is unset (the vendor's https default) or fine. */
function endpointCheck(value: string | undefined, allowed: readonly AllowedOrigin[]): string | null {
  return value?.trim() ? endpointProblem(value, allowed) : null;
}
