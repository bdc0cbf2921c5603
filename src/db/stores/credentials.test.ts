import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/helpers/db.ts';
import { openDatabase, type Database } from '../client.ts';
import { providerCredentials } from '../schema.ts';
import { DbCredentialStore } from './credentials.ts';

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await testDatabase('credentials_store');
  drop = db.drop;
  database = await openDatabase({ url: db.url });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

describe('DbCredentialStore', () => {
  it('keeps values sealed at rest and opens them only with the key', async () => {
    const key = randomBytes(32);
    const store = new DbCredentialStore(database.db, key);
    await store.put('hetzner', { token: 'hz-secret-token-1' });
    await store.put('tailscale', { token: 'tskey-api-2', tailnet: 'example.com' });
    await store.put('hetzner', { token: 'hz-secret-token-3', endpoint: 'https://api.example' });
    const rows = await database.db.select().from(providerCredentials);
    expect(JSON.stringify(rows)).not.toMatch(/secret-token|tskey/);
    expect((await store.services()).sort()).toEqual(['hetzner', 'tailscale']);
    expect((await store.all()).sort((a, b) => a.service.localeCompare(b.service))).toEqual([
      { service: 'hetzner', value: { token: 'hz-secret-token-3', endpoint: 'https://api.example' } },
      { service: 'tailscale', value: { token: 'tskey-api-2', tailnet: 'example.com' } },
    ]);
    await expect(new DbCredentialStore(database.db, randomBytes(32)).all()).rejects.toThrow();
    expect(await store.remove('tailscale')).toBe(true);
    expect(await store.remove('tailscale')).toBe(false);
    expect(await store.services()).toEqual(['hetzner']);
    await store.remove('hetzner');
  });
});
