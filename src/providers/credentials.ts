import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { providerCredentials } from '../db/schema.ts';
import { ValidationError } from '../domain/errors.ts';
import { open, seal } from '../domain/tokens.ts';
import type { Tailnet } from '../engine/ports.ts';
import { endpointProblem, parseAllowedEndpoints } from './endpoints.ts';
import { providersFromEnv, type Env } from './registry.ts';
import type { CloudProvider } from './types.ts';

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

/**
 * Cloud and tailnet credentials stored through the API, sealed at rest, overriding the
 * environment: `resolve()` gives the providers and tailnet the two together configure. An
 * `endpoint` must be https, or an origin in `allowedEndpoints` (HANGAR_ALLOWED_ENDPOINTS), with
 * no user name or password: the token is sent there.
 *
 * @example
 * const creds = new Credentials(db, secretKey, { allowedEndpoints: ['http://127.0.0.1:*'] });
 * await creds.put('hetzner', { token });
 * const { providers, tailnet } = await creds.resolve(process.env);
 */
export class Credentials {
  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer,
    private readonly opts: { allowedEndpoints?: readonly string[] } = {},
  ) {}

  /** Validate and store (sealed); the token is never readable through the API again. */
  async put(service: string, input: unknown): Promise<void> {
    const s = serviceOf(service);
    const i = (input ?? {}) as Partial<CredentialInput>;
    const errors: { field: string; message: string }[] = [];
    if (typeof i.token !== 'string' || i.token.trim().length < 8 || /\s/.test(i.token.trim())) errors.push({ field: 'token', message: 'a token of at least 8 characters, without spaces' });
    if (i.endpoint !== undefined) {
      const problem = typeof i.endpoint === 'string' && /^https?:\/\/[^\s]+$/.test(i.endpoint) ? endpointProblem(i.endpoint, parseAllowedEndpoints(this.opts.allowedEndpoints).origins) : 'an https URL';
      if (problem) errors.push({ field: 'endpoint', message: problem });
    }
    if (i.tailnet !== undefined && (s !== 'tailscale' || typeof i.tailnet !== 'string' || !/^[A-Za-z0-9.@_-]{1,200}$/.test(i.tailnet))) errors.push({ field: 'tailnet', message: s === 'tailscale' ? 'a tailnet name (or -)' : 'only for tailscale' });
    const extra = Object.keys(i).filter((k) => !['token', 'endpoint', 'tailnet'].includes(k));
    for (const k of extra) errors.push({ field: k, message: 'unknown field' });
    if (errors.length) throw new ValidationError(`invalid ${s} credentials: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
    const value: CredentialInput = { token: i.token!.trim(), ...(i.endpoint ? { endpoint: i.endpoint } : {}), ...(i.tailnet ? { tailnet: i.tailnet } : {}) };
    const sealed = seal(JSON.stringify(value), this.secretKey);
    await this.db.insert(providerCredentials).values({ provider: s, sealed }).onConflictDoUpdate({ target: providerCredentials.provider, set: { sealed, updatedAt: new Date() } });
  }

  async remove(service: string): Promise<boolean> {
    const rows = await this.db.delete(providerCredentials).where(eq(providerCredentials.provider, serviceOf(service))).returning();
    return rows.length > 0;
  }

  /** Which services have credentials stored through the API. */
  async stored(): Promise<CredentialService[]> {
    return (await this.db.select({ p: providerCredentials.provider }).from(providerCredentials)).map((r) => r.p as CredentialService);
  }

  /** The environment with stored credentials laid over it. */
  async env(base: Env): Promise<Env> {
    const out: Env = { ...base };
    for (const row of await this.db.select().from(providerCredentials)) {
      const names = CREDENTIAL_ENV[row.provider as CredentialService];
      if (!names) continue;
      const c = JSON.parse(open(row.sealed, this.secretKey)) as CredentialInput;
      out[names.token] = c.token;
      if (c.endpoint) out[names.endpoint] = c.endpoint;
      if (c.tailnet && 'tailnet' in names) out[names.tailnet] = c.tailnet;
      // An API-given DigitalOcean/Hetzner token replaces either env spelling.
      if (row.provider === 'hetzner') delete out.HCLOUD_TOKEN;
      if (row.provider === 'digital-ocean') delete out.DIGITALOCEAN_TOKEN;
      if (row.provider === 'tailscale') {
        delete out.TAILSCALE_OAUTH_CLIENT_ID;
        delete out.TAILSCALE_OAUTH_CLIENT_SECRET;
      }
    }
    return out;
  }

  /** Providers and tailnet from the environment and the stored credentials together. */
  async resolve(base: Env): Promise<{ providers: CloudProvider[]; tailnet?: Tailnet; warnings: string[] }> {
    return providersFromEnv(await this.env(base), this.opts.allowedEndpoints ? { allowedEndpoints: this.opts.allowedEndpoints } : {});
  }
}

function serviceOf(name: string): CredentialService {
  // Own keys only: `constructor`, `__proto__` or `toString` are no service (`in` would say they are).
  if (!Object.hasOwn(CREDENTIAL_ENV, name)) throw new ValidationError(`credentials can be stored for ${Object.keys(CREDENTIAL_ENV).join(', ')}, not ${JSON.stringify(name.slice(0, 64))}`, [{ field: 'provider', message: `one of ${Object.keys(CREDENTIAL_ENV).join(', ')}` }]);
  return name as CredentialService;
}
