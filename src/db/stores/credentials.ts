/**
 * Cloud and tailnet credentials given through the API, one row per service in
 * `provider_credentials`, sealed at rest (AES-256-GCM with the installation's secret key). What
 * the values mean, and which services exist, is src/wiring/credentials.ts's business: this
 * store keeps JSON objects by name.
 *
 * @example
 * const store = new DbCredentialStore(db, secretKey);
 * await store.put('hetzner', { token });
 * await store.all(); // → [{ service: 'hetzner', value: { token } }]
 */
import { eq } from 'drizzle-orm';
import { open, seal } from '../../domain/tokens.ts';
import type { Db } from '../client.ts';
import { providerCredentials } from '../schema.ts';

/** One stored service's credentials, opened. */
export interface StoredCredential {
  service: string;
  value: Record<string, unknown>;
}

/** The sealed credentials table. */
export class DbCredentialStore {
  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer,
  ) {}

  /** Insert or replace a service's credentials (sealed). */
  async put(service: string, value: Record<string, unknown>): Promise<void> {
    const sealed = seal(JSON.stringify(value), this.secretKey);
    await this.db.insert(providerCredentials).values({ provider: service, sealed }).onConflictDoUpdate({ target: providerCredentials.provider, set: { sealed, updatedAt: new Date() } });
  }

  /** Whether there was something to remove. */
  async remove(service: string): Promise<boolean> {
    const rows = await this.db.delete(providerCredentials).where(eq(providerCredentials.provider, service)).returning();
    return rows.length > 0;
  }

  /** The services with stored credentials (nothing is opened). */
  async services(): Promise<string[]> {
    return (await this.db.select({ p: providerCredentials.provider }).from(providerCredentials)).map((r) => r.p);
  }

  /** Every stored service's credentials, opened. */
  async all(): Promise<StoredCredential[]> {
    const rows = await this.db.select().from(providerCredentials);
    return rows.map((r) => ({ service: r.provider, value: JSON.parse(open(r.sealed, this.secretKey)) as Record<string, unknown> }));
  }
}
