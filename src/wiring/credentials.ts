/**
 * Cloud and tailnet credentials stored through the API, overriding the environment: what a
 * service's credentials may be ({@link Credentials.put} validates, naming the field), how they
 * lay over the environment ({@link Credentials.env}), and the providers and tailnet the two
 * together configure ({@link Credentials.resolve}). Where they are kept (sealed) is a
 * {@link CredentialStore}: the database's, src/db/stores/credentials.ts.
 *
 * @example
 * const creds = new Credentials(new DbCredentialStore(db, secretKey), { allowedEndpoints: ['http://127.0.0.1:*'] });
 * await creds.put('hetzner', { token });
 * const { providers, tailnet } = await creds.resolve(process.env);
 */
import { ValidationError } from '../domain/errors.ts';
import { endpointProblem, parseAllowedEndpoints } from '../http/endpoints.ts';
import { providersFromEnv, type CloudRegistry, type Env } from './registry.ts';
import type { SharedBudgetStore } from '../http/shared-governor.ts';

/** Services whose credentials can be given through the API, and the env names they stand for. */
export const CREDENTIAL_ENV = {
  hetzner: { token: 'HETZNER_API_TOKEN', endpoint: 'HCLOUD_ENDPOINT' },
  'digital-ocean': { token: 'DIGITALOCEAN_API_TOKEN', endpoint: 'DIGITALOCEAN_API_URL' },
  tailscale: { token: 'TAILSCALE_API_KEY', endpoint: 'TAILSCALE_BASE_URL', tailnet: 'TAILSCALE_TAILNET' },
} as const;
export type CredentialService = keyof typeof CREDENTIAL_ENV;

export interface CredentialInput {
  token: string;
  endpoint?: string;
  tailnet?: string;
}

/** Where credentials are kept, sealed at rest (src/db/stores/credentials.ts in the server). */
export interface CredentialStore {
  put(service: string, value: Record<string, unknown>): Promise<void>;
  remove(service: string): Promise<boolean>;
  services(): Promise<string[]>;
  all(): Promise<{ service: string; value: Record<string, unknown> }[]>;
}

/**
 * Stored credentials over the environment. An `endpoint` must be https, or an origin in
 * `allowedEndpoints` (HANGAR_ALLOWED_ENDPOINTS), with no user name or password: the token is
 * sent there.
 *
 * @example
 * const { providers, tailnet } = await new Credentials(store).resolve(process.env);
 */
export class Credentials {
  constructor(
    private readonly store: CredentialStore,
    private readonly opts: { allowedEndpoints?: readonly string[]; budget?: SharedBudgetStore } = {},
  ) {}

  /** Validate and store (sealed); the token is never readable through the API again. */
  async put(service: string, input: unknown): Promise<void> {
    await this.store.put(service, { ...credentialInput(service, input, this.opts.allowedEndpoints) });
  }

  async remove(service: string): Promise<boolean> {
    return this.store.remove(serviceOf(service));
  }

  /** Which services have credentials stored through the API. */
  async stored(): Promise<CredentialService[]> {
    return (await this.store.services()) as CredentialService[];
  }

  /** The environment with stored credentials laid over it. */
  async env(base: Env): Promise<Env> {
    return overlayCredentials(base, await this.store.all());
  }

  /** Providers and tailnet from the environment and the stored credentials together. */
  async resolve(base: Env): Promise<Pick<CloudRegistry, 'providers' | 'tailnet' | 'warnings'>> {
    return providersFromEnv(await this.env(base), { ...(this.opts.allowedEndpoints ? { allowedEndpoints: this.opts.allowedEndpoints } : {}), ...(this.opts.budget ? { budget: this.opts.budget } : {}) });
  }
}

/**
 * A service's credentials as the API gives them, checked: a token of at least 8 characters
 * without spaces, an allowed `endpoint`, a `tailnet` name for tailscale only, nothing else.
 * Throws a ValidationError naming each bad field (`provider` for an unknown service).
 *
 * @example
 * credentialInput('hetzner', { token: ' hz-0123456789 ' }) // → { token: 'hz-0123456789' }
 * credentialInput('hetzner', { token: 'short' }) // throws ValidationError (field `token`)
 */
export function credentialInput(service: string, input: unknown, allowedEndpoints?: readonly string[]): CredentialInput {
  const s = serviceOf(service);
  const i = (input ?? {}) as Partial<CredentialInput>;
  const errors: { field: string; message: string }[] = [];
  if (typeof i.token !== 'string' || i.token.trim().length < 8 || /\s/.test(i.token.trim())) errors.push({ field: 'token', message: 'a token of at least 8 characters, without spaces' });
  if (i.endpoint !== undefined) {
    const problem = typeof i.endpoint === 'string' && /^https?:\/\/[^\s]+$/.test(i.endpoint) ? endpointProblem(i.endpoint, parseAllowedEndpoints(allowedEndpoints).origins) : 'an https URL';
    if (problem) errors.push({ field: 'endpoint', message: problem });
  }
  if (i.tailnet !== undefined && (s !== 'tailscale' || typeof i.tailnet !== 'string' || !/^[A-Za-z0-9.@_-]{1,200}$/.test(i.tailnet))) errors.push({ field: 'tailnet', message: s === 'tailscale' ? 'a tailnet name (or -)' : 'only for tailscale' });
  const extra = Object.keys(i).filter((k) => !['token', 'endpoint', 'tailnet'].includes(k));
  for (const k of extra) errors.push({ field: k, message: 'unknown field' });
  if (errors.length) throw new ValidationError(`invalid ${s} credentials: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  return { token: i.token!.trim(), ...(i.endpoint ? { endpoint: i.endpoint } : {}), ...(i.tailnet ? { tailnet: i.tailnet } : {}) };
}

/**
 * The environment with stored credentials laid over it: each service's token, endpoint and
 * tailnet under its env names; an API-given token replaces either env spelling (and a Tailscale
 * key the env's OAuth client). Unknown services are ignored.
 *
 * @example
 * overlayCredentials({ HCLOUD_TOKEN: 'old' }, [{ service: 'hetzner', value: { token: 'new' } }]) // → { HETZNER_API_TOKEN: 'new' }
 */
export function overlayCredentials(base: Env, stored: readonly { service: string; value: Record<string, unknown> }[]): Env {
  const out: Env = { ...base };
  for (const row of stored) {
    if (!Object.hasOwn(CREDENTIAL_ENV, row.service)) continue;
    const names = CREDENTIAL_ENV[row.service as CredentialService];
    const c = row.value as unknown as CredentialInput;
    out[names.token] = c.token;
    if (c.endpoint) out[names.endpoint] = c.endpoint;
    if (c.tailnet && 'tailnet' in names) out[names.tailnet] = c.tailnet;
    // An API-given DigitalOcean/Hetzner token replaces either env spelling.
    if (row.service === 'hetzner') delete out.HCLOUD_TOKEN;
    if (row.service === 'digital-ocean') delete out.DIGITALOCEAN_TOKEN;
    if (row.service === 'tailscale') {
      delete out.TAILSCALE_OAUTH_CLIENT_ID;
      delete out.TAILSCALE_OAUTH_CLIENT_SECRET;
    }
  }
  return out;
}

function serviceOf(name: string): CredentialService {
  // Own keys only: `constructor`, `__proto__` or `toString` are no service (`in` would say they are).
  if (!Object.hasOwn(CREDENTIAL_ENV, name)) throw new ValidationError(`credentials can be stored for ${Object.keys(CREDENTIAL_ENV).join(', ')}, not ${JSON.stringify(name.slice(0, 64))}`, [{ field: 'provider', message: `one of ${Object.keys(CREDENTIAL_ENV).join(', ')}` }]);
  return name as CredentialService;
}
