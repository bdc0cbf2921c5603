import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { sshHosts } from '../db/schema.ts';
import type { SshHost, SshHostStore } from './ssh.ts';

/**
 * The `ssh` provider's hosts in the database (the private key inside stays sealed), shared by
 * every replica.
 *
 * @example
 * new SshProvider({ hosts: new DbSshHostStore(db), secretKey, agentBundle })
 */
export class DbSshHostStore implements SshHostStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<SshHost[]> {
    return (await this.db.select().from(sshHosts).orderBy(asc(sshHosts.name))).map((r) => r.host as unknown as SshHost);
  }

  async get(id: string): Promise<SshHost | null> {
    const [r] = await this.db.select().from(sshHosts).where(eq(sshHosts.id, id));
    return r ? (r.host as unknown as SshHost) : null;
  }

  async put(host: SshHost): Promise<void> {
    const row = { id: host.id, name: host.name, host: host as unknown as Record<string, unknown>, updatedAt: new Date() };
    await this.db.insert(sshHosts).values(row).onConflictDoUpdate({ target: sshHosts.id, set: { name: row.name, host: row.host, updatedAt: row.updatedAt } });
  }

  async remove(id: string): Promise<void> {
    await this.db.delete(sshHosts).where(eq(sshHosts.id, id));
  }
}
